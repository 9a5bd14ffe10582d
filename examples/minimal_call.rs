//! The smallest app on the engine: a simulator, two users, one audio call.
//!
//! Bob's app answers every call from its event handler, as an app's
//! "accept" button would; Alice's app calls him, waits until the call is
//! connected, talks for a moment and hangs up. Each side prints the
//! callbacks it hears.
//!
//! ```sh
//! cargo run --example minimal_call
//! ```

use std::sync::Arc;
use std::time::Duration;

use nccall::{
    CallEndedEvent, CallEngine, CallEvent, CallEventHandler, CallMediaType, CallReceivedEvent,
    ConnectParams, EndCallParams, EngineConfig, StartCallParams,
};
use nccall_sim::{Fixtures, SimConfig, Simulator};

/// The app and its two users (the simulator's fixtures: apps, users, tokens).
const FIXTURES: &str = "
apps:
  - app_key: example-app
    users:
      - { user_id: alice, token: alice-secret }
      - { user_id: bob, token: bob-secret }
";

/// Bob's handler: answers whatever rings (the engine may be called back
/// from a handler).
struct AnswerEverything(CallEngine);

impl CallEventHandler for AnswerEverything {
    fn on_call_received(&self, event: &CallReceivedEvent) {
        println!("bob:   {} is calling", event.session.caller_user_id());
        let engine = self.0.clone();
        let call_id = event.session.call_id().to_string();
        tokio::spawn(async move {
            if let Err(e) = engine.accept_call(&call_id).await {
                println!("bob:   could not answer: {e}");
            }
        });
    }

    fn on_call_ended(&self, event: &CallEndedEvent) {
        println!("bob:   the call ended ({:?})", event.reason);
    }
}

/// A user's engine, connected to the simulator with their token.
async fn online(url: &str, user: &str, token: &str) -> anyhow::Result<CallEngine> {
    let engine = CallEngine::new(EngineConfig {
        device_id: format!("{user}-laptop"),
        ..EngineConfig::default()
    });
    let user_id = engine
        .connect(ConnectParams {
            url: url.to_string(),
            app_key: "example-app".to_string(),
            token: token.to_string(),
        })
        .await?;
    println!("{user_id} is online");
    Ok(engine)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let fixtures = Fixtures::from_yaml(FIXTURES)?;
    let sim = Simulator::start(SimConfig::new(fixtures)).await?;
    let alice = online(&sim.url(), "alice", "alice-secret").await?;
    let bob = online(&sim.url(), "bob", "bob-secret").await?;
    bob.set_call_event_handler(Arc::new(AnswerEverything(bob.clone())));

    let mut events = alice.events();
    let call = alice
        .start_call(StartCallParams::single("bob", CallMediaType::Audio))
        .await?;
    println!("alice: calling bob ({})", call.call_id);
    // The event stream carries the same callbacks as a handler would get.
    loop {
        match tokio::time::timeout(Duration::from_secs(10), events.recv()).await? {
            Some(CallEvent::CallConnected(c)) => {
                println!("alice: connected, {:?}", c.session.call_state());
                break;
            }
            Some(other) => println!("alice: {}", other.callback_name()),
            None => anyhow::bail!("alice's engine stopped"),
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await; // the conversation
    alice.end_call(EndCallParams::call(call.call_id)).await?;
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_secs(2), events.recv()).await {
        println!("alice: {}", event.callback_name());
        if let CallEvent::CallEnded(e) = event {
            println!("alice: the call ended ({:?})", e.reason);
            break;
        }
    }
    alice.disconnect();
    bob.disconnect();
    Ok(())
}
