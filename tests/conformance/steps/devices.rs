//! Devices (virtual: plugged and unplugged from here) and video configuration.

use cucumber::{then, when};
use nccall::{DeviceKind, VideoFrameRate, VideoResolution};
use nccall_conformance::engine_driver::Sdk;

use super::{Who, names};
use crate::world::{CallWorld, must, outcome};

fn kind(word: &str) -> DeviceKind {
    match word {
        "microphone" | "audio inputs" => DeviceKind::AudioInput,
        "speaker" | "audio outputs" => DeviceKind::AudioOutput,
        _ => DeviceKind::VideoInput,
    }
}

#[then(regex = r"^(\w+)'s (audio inputs|audio outputs|video inputs) are (.+)$")]
async fn lists(world: &mut CallWorld, who: String, list: String, ids: String) {
    let engine = &world.person(&who).engine;
    let devices = must(engine.devices(kind(&list)).await, format!("{who}'s {list}"));
    let seen: Vec<String> = devices.into_iter().map(|d| d.device_id).collect();
    assert_eq!(seen, names(&ids), "{who}'s {list}");
}

#[when(regex = r#"^(\w+) (tries to select|selects) (microphone|speaker|camera) "([^"]*)"$"#)]
async fn selects(world: &mut CallWorld, who: String, how: String, device: String, id: String) {
    let engine = world.person(&who).engine.clone();
    let result = engine.select_device(kind(&device), &id).await;
    if how == "selects" {
        if let Err(e) = result {
            panic!("{who} could not select {device} {id}: {e}");
        }
    } else {
        world.last_attempt = Some(outcome(result.map(|()| id)));
    }
}

#[when(regex = r#"^(\w+) (plugs in|unplugs) "([^"]*)"$"#)]
async fn plugs(world: &mut CallWorld, who: String, act: String, id: String) {
    let engine = world.person(&who).engine.clone();
    if let Err(e) = engine.plug_device(&id, act == "plugs in").await {
        panic!("{who} cannot {act} {id}: {e}");
    }
}

#[then(regex = r#"^(\w+) uses (microphone|speaker|camera) "([^"]*)"$"#)]
async fn uses(world: &mut CallWorld, who: String, device: String, id: String) {
    let k = kind(&device);
    let what = format!("using {device} {id}");
    let wanted = id.clone();
    let outcome = world
        .person(&who)
        .wait_until(&what, async |e: &Sdk| {
            Ok(e.device_in_use(k).await?.as_deref() == Some(wanted.as_str()))
        })
        .await;
    if let Err(msg) = outcome {
        let now = world.person(&who).engine.device_in_use(k).await;
        panic!("{msg} (in use: {now:?})");
    }
}

#[then(regex = r"^(\w+) has no (microphone|speaker|camera) in use$")]
async fn none_in_use(world: &mut CallWorld, who: String, device: String) {
    let k = kind(&device);
    let outcome = world
        .person(&who)
        .wait_until("no device in use", async |e: &Sdk| {
            Ok(e.device_in_use(k).await?.is_none())
        })
        .await;
    if let Err(msg) = outcome {
        panic!("{msg}");
    }
}

fn resolution(text: &str) -> VideoResolution {
    match VideoResolution::from_name(&format!("RESOLUTION_{}", text.to_uppercase())) {
        Some(r) => r,
        None => panic!("{text} is not a resolution of the spec"),
    }
}

fn frame_rate(fps: u32) -> VideoFrameRate {
    match VideoFrameRate::from_code(fps) {
        Some(f) => f,
        None => panic!("{fps} fps is not a frame rate of the spec"),
    }
}

#[when(
    regex = r"^(\w+) (sets|tries to set) the video config to (\d+x\d+) at (\d+) fps(?: with bitrate (\d+) to (\d+))?$"
)]
async fn sets_video_config(
    world: &mut CallWorld,
    who: String,
    how: String,
    size: String,
    fps: u32,
    min: String,
    max: String,
) {
    let engine = world.person(&who).engine.clone();
    let (min, max) = (min.parse::<u32>().ok(), max.parse::<u32>().ok());
    let set = engine
        .set_video_config(resolution(&size), frame_rate(fps), min, max)
        .await;
    match (outcome(set), how.as_str()) {
        (Ok(()), _) => world.last_attempt = Some(Ok(format!("{size}@{fps}"))),
        (Err(e), "sets") => panic!("{who}'s video config does not build: {e}"),
        (Err(e), _) => world.last_attempt = Some(Err(e)),
    }
}

#[then(regex = r#"^(\w+)'s camera captures (\d+x\d+) at (\d+) fps(?: from "([^"]*)")?$"#)]
async fn captures(world: &mut CallWorld, who: String, size: String, fps: u32, device: String) {
    let (res, rate) = (resolution(&size), frame_rate(fps));
    let what = format!("capturing {size} at {fps} fps");
    let outcome = world
        .person(&who)
        .wait_until(&what, async |e: &Sdk| {
            Ok(e.video_capture().await?.is_some_and(|c| {
                c.config.resolution == res
                    && c.config.frame_rate == rate
                    && (device.is_empty() || c.device_id == device)
            }))
        })
        .await;
    if let Err(msg) = outcome {
        let now = world.person(&who).engine.video_capture().await;
        panic!("{msg} (capturing: {now:?})");
    }
}

#[then(expr = "{who}'s camera is not capturing")]
async fn not_capturing(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
    let outcome = world
        .person(&who)
        .wait_until("no capture", async |e: &Sdk| {
            Ok(e.video_capture().await?.is_none())
        })
        .await;
    if let Err(msg) = outcome {
        panic!("{msg}");
    }
}
