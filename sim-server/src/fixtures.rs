//! Fixtures: the apps and users the simulated cloud knows, loaded from YAML.
//!
//! ```yaml
//! apps:
//!   - app_key: conformance
//!     calling_enabled: true      # the spec's prerequisite: audio/video calling enabled for the key
//!     ring_timeout_secs: 60      # optional; 60 s is the ancestor's default
//!     busy_policy: ring          # optional; ring (default) or reject, see BusyPolicy
//!     max_participants: 16       # optional; CallPlus allows 16 in a video call
//!     seed_call_logs:            # optional; see store/seed.rs
//!       - { owner: alice, peer: bob, count: 250, first_end_time: 1767225600000, interval_ms: 60000 }
//!     users:
//!       - { user_id: alice, token: alice-token }
//! network_profiles:              # optional; named impairments of a user's media downlink
//!   3g: { loss_percent: 2, delay_ms: 150, jitter_ms: 30, bandwidth_kbps: 750 }
//! ```

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

/// Ring timeout when a fixture does not set one: RongCloud's documented 60 s
/// (the spec gives no value).
pub const DEFAULT_RING_TIMEOUT_SECS: u64 = 60;

/// Participant limit when a fixture does not set one: CallPlus documents 16
/// for video calls (32 for audio); one limit for both keeps the rule simple.
pub const DEFAULT_MAX_PARTICIPANTS: usize = 16;

/// What happens to a callee who is already in a call (ringing or connected).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BusyPolicy {
    /// The ancestor's behaviour: the busy callee still rings
    /// (`BUSYLINE_RINGING`) and may answer, which ends their other call;
    /// the caller learns they are busy from `busyLineUserList`.
    #[default]
    Ring,
    /// The busy callee is not rung: the caller learns it from
    /// `busyLineUserList`, and a one-to-one call ends at once with
    /// `REMOTE_BUSY_LINE`.
    Reject,
}

/// The apps and users a simulator knows (a YAML file: `fixtures/conformance.yaml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixtures {
    /// Every app.
    pub apps: Vec<AppFixture>,
    /// Named network impairments that steps and tools apply to a user's
    /// media path (see `media/impairment.rs`).
    #[serde(default)]
    pub network_profiles: BTreeMap<String, crate::media::NetworkProfile>,
}

/// One app and its rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppFixture {
    /// The key clients connect with.
    pub app_key: String,
    /// `false`: `hello` is refused with RTC_SERVICE_UNAVAILABLE.
    #[serde(default = "yes")]
    pub calling_enabled: bool,
    /// How long a callee rings before NO_RESPONSE (the ancestor's 60 s unless set).
    #[serde(default = "default_ring_timeout")]
    pub ring_timeout_secs: u64,
    /// What calling a user who is in another call does.
    #[serde(default)]
    pub busy_policy: BusyPolicy,
    /// Most members a call may have.
    #[serde(default = "default_max_participants")]
    pub max_participants: usize,
    /// The app's users.
    #[serde(default)]
    pub users: Vec<UserFixture>,
    /// Call logs to store at start (if the store is empty).
    #[serde(default)]
    pub seed_call_logs: Vec<crate::store::SeedSpec>,
}

/// One user and the token that logs them in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserFixture {
    /// The user this is about.
    pub user_id: String,
    /// What `hello` takes as this user's credential.
    pub token: String,
}

fn yes() -> bool {
    true
}

fn default_ring_timeout() -> u64 {
    DEFAULT_RING_TIMEOUT_SECS
}

fn default_max_participants() -> usize {
    DEFAULT_MAX_PARTICIPANTS
}

/// A fixture file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The file could not be read.
    #[error("cannot read fixtures file {path}: {source}")]
    Read {
        /// Its path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not YAML of the fixtures' shape.
    #[error("invalid fixtures YAML: {0}")]
    Yaml(#[from] serde_norway::Error),
    /// Read, but inconsistent (a repeated app, user or token; a bad profile).
    #[error("invalid fixtures: {0}")]
    Invalid(String),
}

impl Fixtures {
    /// From YAML text, checked.
    pub fn from_yaml(text: &str) -> Result<Self, FixtureError> {
        let fixtures: Fixtures = serde_norway::from_str(text)?;
        fixtures.validate()?;
        Ok(fixtures)
    }

    /// From a YAML file, checked.
    pub fn from_file(path: &Path) -> Result<Self, FixtureError> {
        let text = std::fs::read_to_string(path).map_err(|source| FixtureError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_yaml(&text)
    }

    /// Rejects what would make authentication ambiguous: repeated app keys,
    /// repeated user ids or tokens within an app, empty ids.
    fn validate(&self) -> Result<(), FixtureError> {
        for (name, profile) in &self.network_profiles {
            profile
                .validate()
                .map_err(|e| FixtureError::Invalid(format!("network profile {name}: {e}")))?;
        }
        let mut keys = BTreeMap::new();
        for app in &self.apps {
            if app.app_key.is_empty() {
                return Err(FixtureError::Invalid("an app has an empty app_key".into()));
            }
            if keys.insert(app.app_key.as_str(), ()).is_some() {
                return Err(FixtureError::Invalid(format!(
                    "app_key {} appears twice",
                    app.app_key
                )));
            }
            let mut ids = BTreeMap::new();
            let mut tokens = BTreeMap::new();
            for user in &app.users {
                if user.user_id.is_empty() || user.token.is_empty() {
                    return Err(FixtureError::Invalid(format!(
                        "app {}: a user has an empty user_id or token",
                        app.app_key
                    )));
                }
                if ids.insert(user.user_id.as_str(), ()).is_some()
                    || tokens.insert(user.token.as_str(), ()).is_some()
                {
                    return Err(FixtureError::Invalid(format!(
                        "app {}: user {} or its token appears twice",
                        app.app_key, user.user_id
                    )));
                }
            }
        }
        Ok(())
    }

    /// The app with this key.
    pub fn app(&self, app_key: &str) -> Option<&AppFixture> {
        self.apps.iter().find(|a| a.app_key == app_key)
    }
}

impl AppFixture {
    /// The user a token authenticates, if any.
    pub fn user_for_token(&self, token: &str) -> Option<&UserFixture> {
        self.users.iter().find(|u| u.token == token)
    }

    /// Whether the app has a user with this id.
    pub fn has_user(&self, user_id: &str) -> bool {
        self.users.iter().any(|u| u.user_id == user_id)
    }

    /// The ring timeout in milliseconds.
    pub fn ring_timeout_ms(&self) -> i64 {
        i64::try_from(self.ring_timeout_secs.saturating_mul(1000)).unwrap_or(i64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_validation() {
        let f = Fixtures::from_yaml(
            "apps:\n  - app_key: a\n    users:\n      - { user_id: u, token: t }\n",
        )
        .unwrap();
        let app = f.app("a").unwrap();
        assert!(app.calling_enabled);
        assert_eq!(app.ring_timeout_secs, 60);
        assert_eq!(app.user_for_token("t").unwrap().user_id, "u");
        assert!(app.user_for_token("x").is_none());

        let dup = "apps:\n  - app_key: a\n    users:\n      - { user_id: u, token: t }\n      - { user_id: u, token: t2 }\n";
        assert!(matches!(
            Fixtures::from_yaml(dup),
            Err(FixtureError::Invalid(_))
        ));
        assert!(matches!(
            Fixtures::from_yaml("apps: 3"),
            Err(FixtureError::Yaml(_))
        ));
        assert!(Fixtures::from_yaml("apps: []\nextra: 1").is_err());
    }
}
