//! One world per scenario: its own simulator (virtual clock) and its people.

use std::collections::BTreeMap;

use nccall::CallError;
use nccall_conformance::rig::{DEFAULT_APP, Participant, Rig};

#[derive(cucumber::World, Default)]
pub struct CallWorld {
    rig: Option<Rig>,
    pub people: BTreeMap<String, Participant>,
    /// The outcome of the last "tries to" step.
    pub last_attempt: Option<Result<String, CallError>>,
}

impl std::fmt::Debug for CallWorld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallWorld")
            .field("people", &self.people.keys().collect::<Vec<_>>())
            .field("last_attempt", &self.last_attempt)
            .finish()
    }
}

impl CallWorld {
    pub async fn rig(&mut self) -> &Rig {
        if self.rig.is_none() {
            match Rig::start(true).await {
                Ok(rig) => self.rig = Some(rig),
                Err(e) => panic!("cannot start the simulator: {e}"),
            }
        }
        match &self.rig {
            Some(rig) => rig,
            None => unreachable!("started above"),
        }
    }

    pub fn epoch(&self) -> Option<i64> {
        self.rig.as_ref().map(|r| r.epoch)
    }

    pub async fn bring_online(&mut self, name: &str, app: Option<&str>) {
        let app = app.unwrap_or(DEFAULT_APP).to_string();
        let rig = self.rig().await;
        match rig.online(name, &app).await {
            Ok(p) => {
                self.people.insert(name.to_string(), p);
            }
            Err(e) => panic!("{name} cannot connect to app {app}: {e}"),
        }
    }

    /// A participant with an engine that never connected.
    pub async fn add_offline(&mut self, name: &str) {
        let p = self.rig().await.participant(name);
        self.people.insert(name.to_string(), p);
    }

    pub fn person(&mut self, name: &str) -> &mut Participant {
        match self.people.get_mut(name) {
            Some(p) => p,
            None => panic!("{name} is not in this scenario; add a step that brings them online"),
        }
    }

    pub async fn advance(&mut self, by: std::time::Duration) {
        if let Err(e) = self.rig().await.sim.advance(by).await {
            panic!("cannot advance the clock: {e}");
        }
    }

    pub async fn settle(&mut self) {
        for p in self.people.values_mut() {
            p.settle().await;
        }
    }
}
