use cucumber::{given, when};

use super::names;
use crate::world::CallWorld;

#[given(regex = r"^(.+) (?:is|are) online$")]
async fn online(world: &mut CallWorld, who: String) {
    for name in names(&who) {
        world.bring_online(&name, None).await;
    }
}

#[given(regex = r#"^(.+) (?:is|are) online in app "([^"]+)"$"#)]
async fn online_in_app(world: &mut CallWorld, who: String, app: String) {
    for name in names(&who) {
        world.bring_online(&name, Some(&app)).await;
    }
}

#[given(regex = r"^(\w+(?:@\w+)?) has not connected$")]
async fn not_connected(world: &mut CallWorld, who: String) {
    world.add_offline(&who).await;
}

#[when(regex = r"^(.+) comes? online$")]
async fn comes_online(world: &mut CallWorld, who: String) {
    for name in names(&who) {
        world.bring_online(&name, None).await;
    }
}

/// The app closes its connection for good (`disconnect()`, an extension
/// of both engines): its calls end on this device and their media goes.
#[when(regex = r"^(\w+(?:@\w+)?) disconnects$")]
async fn disconnects(world: &mut CallWorld, who: String) {
    let engine = world.person(&who).engine.clone();
    // A fresh reading of the server's clock first: the calls end at the
    // engine's estimate of it, which is then as good as the snapshot shows.
    crate::world::must(engine.heartbeat().await, format!("{who}'s heartbeat"));
    crate::world::must(
        engine.disconnect().await,
        format!("{who} cannot disconnect"),
    );
}
