use cucumber::{given, when};

use super::{Who, names};
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

#[given(expr = "{who} has not connected")]
async fn not_connected(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
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
#[when(expr = "{who} disconnects")]
async fn disconnects(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
    let engine = world.person(&who).engine.clone();
    // A fresh reading of the server's clock first: the calls end at the
    // engine's estimate of it, which is then as good as the snapshot shows.
    crate::world::must(engine.heartbeat().await, format!("{who}'s heartbeat"));
    crate::world::must(
        engine.disconnect().await,
        format!("{who} cannot disconnect"),
    );
}
