//! `createAndroidPushConfigBuilder`: the Android part of a push configuration.

use std::collections::BTreeMap;

use nccall_protocol::PushConfig;

use crate::error::{CallError, CallResult};

/// vivo's push class: operational messages or system messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VivoPushType {
    /// Operational messages (`typeVivo` 0).
    Operation,
    /// System messages (`typeVivo` 1).
    System,
}

/// Huawei notification importance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HuaweiImportance {
    /// `NORMAL`.
    Normal,
    /// `LOW`.
    Low,
}

/// Android vendor settings for a push, checked when built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AndroidPushConfig {
    settings: BTreeMap<String, String>,
}

impl AndroidPushConfig {
    /// The settings as the wire carries them (`PushConfig::android`).
    pub fn settings(&self) -> &BTreeMap<String, String> {
        &self.settings
    }

    /// A push configuration with a title, a content and these settings.
    pub fn into_push_config(
        self,
        title: impl Into<String>,
        content: impl Into<String>,
    ) -> PushConfig {
        PushConfig {
            push_title: Some(title.into()),
            push_content: Some(content.into()),
            android: self.settings,
        }
    }
}

/// `createAndroidPushConfigBuilder`: the Android vendor settings of a push.
#[derive(Debug, Clone, Default)]
pub struct AndroidPushConfigBuilder {
    settings: BTreeMap<String, String>,
}

impl AndroidPushConfigBuilder {
    /// A builder with no settings.
    pub fn new() -> Self {
        Self::default()
    }

    fn set(mut self, key: &str, value: impl Into<String>) -> Self {
        self.settings.insert(key.to_string(), value.into());
        self
    }

    /// Replaces an earlier notification with the same id.
    pub fn set_notification_id(self, id: impl Into<String>) -> Self {
        self.set("notificationId", id)
    }

    /// Xiaomi's notification channel.
    pub fn set_channel_id_mi(self, id: impl Into<String>) -> Self {
        self.set("channelIdMi", id)
    }

    /// Huawei's notification channel.
    pub fn set_channel_id_huawei(self, id: impl Into<String>) -> Self {
        self.set("channelIdHuawei", id)
    }

    /// OPPO's notification channel.
    pub fn set_channel_id_oppo(self, id: impl Into<String>) -> Self {
        self.set("channelIdOppo", id)
    }

    /// vivo's push class.
    pub fn set_type_vivo(self, kind: VivoPushType) -> Self {
        let value = match kind {
            VivoPushType::Operation => "0",
            VivoPushType::System => "1",
        };
        self.set("typeVivo", value)
    }

    /// Huawei's notification importance.
    pub fn set_importance_huawei(self, importance: HuaweiImportance) -> Self {
        let value = match importance {
            HuaweiImportance::Normal => "NORMAL",
            HuaweiImportance::Low => "LOW",
        };
        self.set("importanceHuawei", value)
    }

    /// The image Huawei's notification shows.
    pub fn set_image_url_huawei(self, url: impl Into<String>) -> Self {
        self.set("imageUrlHuawei", url)
    }

    /// FCM's collapse key (a newer push replaces an older one with the same key).
    pub fn set_fcm_collapse_key(self, key: impl Into<String>) -> Self {
        self.set("fcmCollapseKey", key)
    }

    /// The image FCM's notification shows.
    pub fn set_fcm_image_url(self, url: impl Into<String>) -> Self {
        self.set("fcmImageUrl", url)
    }

    /// FCM's notification channel.
    pub fn set_fcm_channel_id(self, id: impl Into<String>) -> Self {
        self.set("fcmChannelId", id)
    }

    /// Checks every value (the same limits the server applies: PARAM_ERROR).
    pub fn build(self) -> CallResult<AndroidPushConfig> {
        let probe = PushConfig {
            push_title: None,
            push_content: None,
            android: self.settings,
        };
        probe
            .validate()
            .map_err(|(code, message)| CallError::new(code, message))?;
        Ok(AndroidPushConfig {
            settings: probe.android,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nccall_protocol::ErrorCode;

    #[test]
    fn builds_and_validates() {
        let config = AndroidPushConfigBuilder::new()
            .set_channel_id_mi("calls")
            .set_type_vivo(VivoPushType::System)
            .set_importance_huawei(HuaweiImportance::Normal)
            .build()
            .unwrap();
        assert_eq!(
            config.settings().get("typeVivo").map(String::as_str),
            Some("1")
        );
        let push = config.into_push_config("Incoming call", "alice is calling");
        assert!(push.validate().is_ok());

        let too_long = AndroidPushConfigBuilder::new()
            .set_channel_id_oppo("x".repeat(300))
            .build();
        assert_eq!(too_long.unwrap_err().code(), ErrorCode::ParamError);
        let long_title = PushConfig {
            push_title: Some("t".repeat(200)),
            ..PushConfig::default()
        };
        assert_eq!(long_title.validate().unwrap_err().0, ErrorCode::ParamError);
    }
}
