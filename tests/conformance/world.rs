//! One world per scenario: its own simulator (virtual clock) and its people.

use std::collections::BTreeMap;

use nccall::CallError;
use nccall_conformance::engine_driver::{DriverError, Sdk};
use nccall_conformance::rig::{DEFAULT_APP, Participant, Rig};

#[derive(cucumber::World, Default)]
pub struct CallWorld {
    rig: Option<Rig>,
    pub people: BTreeMap<String, Participant>,
    /// The outcome of the last "tries to" step.
    pub last_attempt: Option<Result<String, CallError>>,
    /// Who each caller's last call reported busy.
    pub busy_lists: BTreeMap<String, Vec<nccall::UserStateEntry>>,
    /// The app the scenario's users log in to.
    pub app: Option<String>,
    /// The transaction id of each user's last media-type change request.
    pub transactions: BTreeMap<String, String>,
    /// What each user saw while paging their history: (call id, sync time).
    pub walks: BTreeMap<String, Vec<(String, Option<i64>)>>,
    /// Where each user's paging stopped.
    pub cursor: BTreeMap<String, i64>,
    /// Every call placed in the scenario (the server took it), oldest first.
    placed: Vec<PlacedCall>,
    /// The heartbeat interval the simulator asks for, if a step set one
    /// before the simulator started.
    pub heartbeat: Option<std::time::Duration>,
    /// The simulator keeps its call logs on disk (to survive a restart).
    pub on_disk: bool,
    /// The impairment each user's media path has now (as the scenario set it).
    pub media_paths: BTreeMap<String, nccall_sim::NetworkProfile>,
    /// Where the SDK met the spec but not a value only this project
    /// defined (`differs_from_project`).
    pub project_differences: Vec<String>,
}

/// A call a step placed: who placed it, for whom, and its id.
#[derive(Debug, Clone)]
struct PlacedCall {
    caller: String,
    callees: Vec<String>,
    call_id: String,
}

impl std::fmt::Debug for CallWorld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallWorld")
            .field("people", &self.people.keys().collect::<Vec<_>>())
            .field("last_attempt", &self.last_attempt)
            .finish()
    }
}

/// The run's seed (`--seed`): every scenario's simulator randomness derives
/// from it, so a failed scenario replays with the same losses and jitter.
pub static RUN_SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();

pub fn run_seed() -> u64 {
    RUN_SEED.get().copied().unwrap_or(0)
}

/// The driver command (`--driver`): when set, every participant's engine
/// lives in a driver process started per scenario, not in this one.
static DRIVER: std::sync::RwLock<Option<String>> = std::sync::RwLock::new(None);

/// Sets the driver the scenarios of the next pass use.
pub fn set_driver(driver: Option<String>) {
    if let Ok(mut d) = DRIVER.write() {
        *d = driver;
    }
}

/// The driver the scenarios use now (`None`: the engine in process).
pub fn driver() -> Option<String> {
    DRIVER.read().ok().and_then(|d| d.clone())
}

/// `--driver net`: the reference engine's core and the simulator's core in
/// a socket-free net (`src/net/`), one per scenario.
pub const NET_DRIVER: &str = "net";

/// A driver call that must succeed: its value, or the step fails saying
/// what could not be done.
pub fn must<T, E: std::fmt::Display>(r: Result<T, E>, what: impl std::fmt::Display) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what}: {e}"),
    }
}

/// A driver call's outcome as the SDK's result: its refusal (a spec code)
/// is the behaviour under test; a command the SDK does not implement, or a
/// broken driver, ends the scenario (reported as unimplemented when that is
/// why).
pub fn outcome<T>(r: Result<T, DriverError>) -> Result<T, CallError> {
    r.map_err(|e| e.as_call_error().unwrap_or_else(|| panic!("{e}")))
}

impl CallWorld {
    /// Restarts the simulator (see [`Rig::restart`]).
    pub async fn restart_rig(&mut self) {
        let Some(rig) = self.rig.as_mut() else {
            panic!("no simulator to restart");
        };
        if let Err(e) = rig.restart().await {
            panic!("the simulator did not come back: {e}");
        }
    }

    pub async fn rig(&mut self) -> &Rig {
        if self.rig.is_none() {
            let rig = match driver() {
                Some(command) if command == NET_DRIVER => {
                    match Rig::start_net(self.heartbeat, run_seed()) {
                        Ok(rig) => rig,
                        Err(e) => panic!("cannot make the net: {e}"),
                    }
                }
                driver => {
                    let mut rig =
                        match Rig::start_with(true, self.heartbeat, self.on_disk, run_seed()).await
                        {
                            Ok(rig) => rig,
                            Err(e) => panic!("cannot start the simulator: {e}"),
                        };
                    if let Some(command) = driver
                        && let Err(e) = rig.use_driver(&command).await
                    {
                        panic!("cannot start the driver {command:?}: {e}");
                    }
                    rig
                }
            };
            self.rig = Some(rig);
        }
        match &self.rig {
            Some(rig) => rig,
            None => unreachable!("started above"),
        }
    }

    /// The commands the SDK under test answered `unimplemented` in this
    /// scenario (always none in process).
    pub fn unimplemented(&self) -> Vec<String> {
        self.rig
            .as_ref()
            .map(Rig::unimplemented)
            .unwrap_or_default()
    }

    pub fn epoch(&self) -> Option<i64> {
        self.rig.as_ref().map(|r| r.epoch)
    }

    pub fn app(&self) -> &str {
        self.app.as_deref().unwrap_or(DEFAULT_APP)
    }

    pub async fn bring_online(&mut self, name: &str, app: Option<&str>) {
        if let Some(app) = app {
            self.app = Some(app.to_string());
        }
        let app = self.app().to_string();
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
        match self.rig().await.participant(name).await {
            Ok(p) => {
                self.people.insert(name.to_string(), p);
            }
            Err(e) => panic!("{name}'s engine cannot be created: {e}"),
        }
    }

    /// The id of the participant's current call, waiting for one to ring
    /// or start if there is none yet.
    pub async fn current_call_id(&mut self, name: &str) -> String {
        let person = self.person(name);
        let has_call = async |e: &Sdk| Ok(e.get_current_call_session().await?.is_some());
        if let Err(msg) = person.wait_until("a current call", has_call).await {
            panic!("{msg}");
        }
        match self.current_session(name).await {
            Some(s) => s.call_id().to_string(),
            None => panic!("{name} has no current call"),
        }
    }

    /// `name`'s current call session (`getCurrentCallSession`).
    pub async fn current_session(&mut self, name: &str) -> Option<nccall::CallSession> {
        let engine = self.person(name).engine.clone();
        match engine.get_current_call_session().await {
            Ok(session) => session,
            Err(e) => panic!("{name}'s current call cannot be read: {e}"),
        }
    }

    /// Records a call the server took from `caller` (any step that places
    /// one), so later steps find it by who placed it.
    pub fn placed(&mut self, caller: &str, callees: &[String], call_id: &str) {
        self.placed.push(PlacedCall {
            caller: caller.to_string(),
            callees: callees.to_vec(),
            call_id: call_id.to_string(),
        });
    }

    /// The id of `caller`'s last call placed in the scenario.
    pub fn last_call(&self, caller: &str) -> Option<String> {
        self.placed
            .iter()
            .rev()
            .find(|p| p.caller == caller)
            .map(|p| p.call_id.clone())
    }

    /// The id of the call from `caller` that rings for `name`: the last one
    /// `caller` placed to `name` in the scenario, waiting for it to ring,
    /// so an earlier call's ring is never taken for it. A call that came
    /// another way (an invitation) is the latest that rang from `caller`.
    pub async fn call_from(&mut self, name: &str, caller: &str) -> String {
        let what = format!("a call from {caller}");
        let expected = self
            .placed
            .iter()
            .rev()
            .find(|p| p.caller == caller && p.callees.iter().any(|c| c == name))
            .map(|p| p.call_id.clone());
        let found = self
            .person(name)
            .latest(&what, |e| {
                matches!(e, nccall::CallEvent::CallReceived(r)
                    if r.session.caller_user_id() == caller
                        && expected.as_deref().is_none_or(|id| r.session.call_id() == id))
            })
            .await;
        match found {
            Ok(nccall::CallEvent::CallReceived(r)) => r.session.call_id().to_string(),
            Ok(_) => unreachable!("matched above"),
            Err(msg) => panic!("{msg}"),
        }
    }

    /// Records that the SDK differs from a choice of this project's where
    /// the spec gives no value: reported apart from spec failures
    /// (`expectations.rs`), the scenario goes on.
    pub fn differs_from_project(&mut self, how: String) {
        println!("  differs from a project choice: {how}");
        self.project_differences.push(how);
    }

    pub fn person(&mut self, name: &str) -> &mut Participant {
        match self.people.get_mut(name) {
            Some(p) => p,
            None => panic!("{name} is not in this scenario; add a step that brings them online"),
        }
    }

    /// Moves the simulator's clock, then lets every engine take in what
    /// the timers that fired sent (a step after "N seconds pass" reads
    /// state those events changed).
    pub async fn advance(&mut self, by: std::time::Duration) {
        if let Err(e) = self.rig().await.server.advance(by).await {
            panic!("cannot advance the clock: {e}");
        }
        self.settle().await;
    }

    pub async fn settle(&mut self) {
        for p in self.people.values_mut() {
            p.settle().await;
        }
    }
}
