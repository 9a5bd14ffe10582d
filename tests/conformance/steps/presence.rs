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
