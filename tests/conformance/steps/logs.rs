//! Call logs: local and server logs, history paging, ongoing calls, deletion.

use std::collections::HashSet;

use cucumber::{given, then, when};
use nccall::{CallEvent, CallLog, CallLogOrder, GetHistoryCallLogsParams};
use nccall_sim::SeedSpec;

use super::{Who, expect};
use crate::world::{CallWorld, outcome};

async fn server_log(world: &mut CallWorld, who: &str) -> CallLog {
    let event = expect(world, who, "onServerCallLogReceived", |e| {
        matches!(e, CallEvent::ServerCallLogReceived(_))
    })
    .await;
    let CallEvent::ServerCallLogReceived(l) = event else {
        unreachable!("matched above")
    };
    l.call_log
}

#[then(expr = "{who}'s local and server logs agree")]
async fn logs_agree(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
    let event = expect(world, &who, "onLocalCallLogReceived", |e| {
        matches!(e, CallEvent::LocalCallLogReceived(_))
    })
    .await;
    let CallEvent::LocalCallLogReceived(local) = event else {
        unreachable!("matched above")
    };
    let server = server_log(world, &who).await;
    assert!(server.sync_time.is_some(), "the server log has a sync time");
    let without_sync = CallLog {
        sync_time: None,
        ..server
    };
    assert_eq!(
        local.call_log, without_sync,
        "{who}'s local and server logs differ"
    );
}

#[then(
    regex = r"^(\w+) gets a server log (?:of a|of an) (missed|answered|unanswered) call ended (\w+)$"
)]
async fn server_log_of(world: &mut CallWorld, who: String, what: String, reason: String) {
    let log = server_log(world, &who).await;
    assert_eq!(
        log.end_reason.map(|r| r.name().to_string()),
        Some(reason),
        "{who}'s log end reason"
    );
    match what.as_str() {
        "missed" => assert!(log.missed, "{who}'s log should be missed"),
        "answered" => assert!(!log.missed && log.duration_ms >= 0 && log.start_time.is_some()),
        _ => assert!(log.start_time.is_none() && log.duration_ms == 0),
    }
}

#[then(expr = "{who} gets no local log")]
async fn no_local_log(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
    world.person(&who).settle().await;
    let any = world
        .person(&who)
        .events
        .iter()
        .any(|e| matches!(e, CallEvent::LocalCallLogReceived(_)));
    assert!(!any, "{who} got a local log");
}

#[given(expr = "{who} has {int} past calls with {who}, one every {int} second(s)")]
async fn seeded(world: &mut CallWorld, owner: Who, count: usize, peer: Who, every: i64) {
    let Who(owner) = owner;
    let Who(peer) = peer;
    seed(world, owner, count, peer, every * 1000).await;
}

#[given(expr = "{who} has {int} past calls with {who}, all ending in the same millisecond")]
async fn seeded_same_ms(world: &mut CallWorld, owner: Who, count: usize, peer: Who) {
    let Who(owner) = owner;
    let Who(peer) = peer;
    seed(world, owner, count, peer, 0).await;
}

async fn seed(world: &mut CallWorld, owner: String, count: usize, peer: String, interval_ms: i64) {
    let app = world.app().to_string();
    let rig = world.rig().await;
    // Seeded calls ended before the scenario started.
    let first_end_time = rig.epoch - 86_400_000;
    let spec = SeedSpec {
        owner: owner.clone(),
        peer,
        count,
        first_end_time,
        interval_ms,
    };
    let prefix = format!("past-{owner}");
    if let Err(e) = rig.server.seed_logs(&app, spec, &prefix).await {
        panic!("cannot seed call logs: {e}");
    }
}

fn order(word: &str) -> CallLogOrder {
    if word == "oldest" {
        CallLogOrder::Asc
    } else {
        CallLogOrder::Desc
    }
}

async fn page(
    world: &mut CallWorld,
    who: &str,
    start_time: i64,
    count: i64,
    order: CallLogOrder,
) -> nccall::CallLogPage {
    let engine = world.person(who).engine.clone();
    match engine
        .get_history_call_logs(GetHistoryCallLogsParams {
            start_time,
            count,
            order,
        })
        .await
    {
        Ok(p) => p,
        Err(e) => panic!("{who} cannot read the call history: {e}"),
    }
}

/// Pages the whole history and keeps what was seen for later steps.
#[when(regex = r"^(\w+) pages (?:her|his|their) history (newest|oldest) first, (\d+) at a time$")]
async fn pages_all(world: &mut CallWorld, who: String, first: String, count: i64) {
    let order = order(&first);
    // The spec's first startTime is -1, in either order.
    let mut start = -1;
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let p = page(world, &who, start, count, order).await;
        assert!(
            p.call_log_list.len() as i64 <= count,
            "a page holds at most count logs"
        );
        if p.has_more {
            assert_eq!(
                p.call_log_list.len() as i64,
                count,
                "only the last page may be short"
            );
        }
        seen.extend(
            p.call_log_list
                .iter()
                .map(|l| (l.call_id.clone(), l.sync_time)),
        );
        start = p.sync_time;
        pages += 1;
        assert!(pages < 10_000, "paging does not end");
        if !p.has_more {
            break;
        }
    }
    world.walks.insert(who, seen);
}

#[when(regex = r"^(\w+) reads one page of (\d+), (newest|oldest) first$")]
async fn reads_page(world: &mut CallWorld, who: String, count: i64, first: String) {
    let order = order(&first);
    // The spec's first startTime is -1, in either order.
    let start = -1;
    let p = page(world, &who, start, count, order).await;
    world.cursor.insert(who.clone(), p.sync_time);
    world.walks.insert(
        who,
        p.call_log_list
            .iter()
            .map(|l| (l.call_id.clone(), l.sync_time))
            .collect(),
    );
}

#[when(regex = r"^(\w+) reads the rest (newest|oldest) first, (\d+) at a time$")]
async fn reads_rest(world: &mut CallWorld, who: String, first: String, count: i64) {
    let order = order(&first);
    let mut start = world.cursor.get(&who).copied().unwrap_or(-1);
    loop {
        let p = page(world, &who, start, count, order).await;
        let seen: Vec<_> = p
            .call_log_list
            .iter()
            .map(|l| (l.call_id.clone(), l.sync_time))
            .collect();
        world.walks.entry(who.clone()).or_default().extend(seen);
        start = p.sync_time;
        if !p.has_more {
            break;
        }
    }
}

#[then(regex = r"^(\w+) saw (\d+) logs, each once, in (newest|oldest)-first order$")]
async fn saw(world: &mut CallWorld, who: String, n: usize, first: String) {
    let walk = world.walks.get(&who).cloned().unwrap_or_default();
    let ids: HashSet<&String> = walk.iter().map(|(id, _)| id).collect();
    assert_eq!(ids.len(), walk.len(), "a log was seen twice");
    assert_eq!(walk.len(), n, "logs seen");
    let times: Vec<i64> = walk.iter().map(|(_, t)| t.unwrap_or(0)).collect();
    let sorted = times.windows(2).all(|w| {
        if first == "newest" {
            w[0] > w[1]
        } else {
            w[0] < w[1]
        }
    });
    assert!(sorted, "sync times are strictly ordered");
}

#[then(expr = "{who}'s history does not include {who}'s last call")]
async fn excludes_last(world: &mut CallWorld, who: Who, owner: Who) {
    let Who(who) = who;
    let Who(owner) = owner;
    let Some(last) = world.last_call(&owner) else {
        panic!("{owner} made no call in this scenario");
    };
    let walk = world.walks.get(&who).cloned().unwrap_or_default();
    assert!(
        walk.iter().all(|(id, _)| *id != last),
        "the call that ended during paging showed up"
    );
}

#[then(expr = "{who}'s newest log is {who}'s last call")]
async fn newest_is(world: &mut CallWorld, who: Who, owner: Who) {
    let Who(who) = who;
    let Who(owner) = owner;
    let Some(last) = world.last_call(&owner) else {
        panic!("{owner} made no call in this scenario");
    };
    let p = page(world, &who, -1, 1, CallLogOrder::Desc).await;
    assert_eq!(
        p.call_log_list.first().map(|l| l.call_id.clone()),
        Some(last)
    );
}

/// `startCall`'s optional `targetId` is kept with the call: every log of
/// it carries the value.
#[then(regex = r#"^(\w+)'s newest log has target id "([^"]*)"$"#)]
async fn newest_target(world: &mut CallWorld, who: String, target: String) {
    let p = page(world, &who, -1, 1, CallLogOrder::Desc).await;
    assert_eq!(
        p.call_log_list.first().and_then(|l| l.target_id.clone()),
        Some(target),
        "{who}'s newest log"
    );
}

#[when(expr = "{who} deletes her/his/their {int} newest logs and {int} unknown id(s)")]
async fn deletes(world: &mut CallWorld, who: Who, n: i64, unknown: usize) {
    let Who(who) = who;
    let p = page(world, &who, -1, n, CallLogOrder::Desc).await;
    let mut ids: Vec<String> = p.call_log_list.iter().map(|l| l.call_id.clone()).collect();
    let fake: Vec<String> = (0..unknown).map(|i| format!("no-such-call-{i}")).collect();
    ids.extend(fake.iter().cloned());
    let engine = world.person(&who).engine.clone();
    match engine.delete_call_logs_for_me(ids).await {
        Ok(result) => assert_eq!(result.not_found_call_ids, fake, "unknown ids are reported"),
        Err(e) => panic!("{who} cannot delete logs: {e}"),
    }
}

#[when(expr = "{who} deletes all her/his/their logs")]
async fn deletes_all(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
    let engine = world.person(&who).engine.clone();
    if let Err(e) = engine.delete_all_call_logs_for_me().await {
        panic!("{who} cannot delete all logs: {e}");
    }
}

#[when(expr = "{who} tries to delete {int} logs at once")]
async fn tries_to_delete(world: &mut CallWorld, who: Who, n: usize) {
    let Who(who) = who;
    let ids = (0..n).map(|i| format!("id-{i}")).collect();
    let engine = world.person(&who).engine.clone();
    let deleted = engine.delete_call_logs_for_me(ids).await;
    world.last_attempt = Some(outcome(deleted).map(|r| format!("{r:?}")));
}

#[when(regex = r"^(\w+) tries to read a page of (-?\d+)$")]
async fn tries_page(world: &mut CallWorld, who: String, count: i64) {
    let engine = world.person(&who).engine.clone();
    let params = GetHistoryCallLogsParams {
        start_time: -1,
        count,
        order: CallLogOrder::Desc,
    };
    let page = engine.get_history_call_logs(params).await;
    world.last_attempt = Some(outcome(page).map(|p| format!("{} logs", p.call_log_list.len())));
}

#[then(expr = "{who}'s ongoing calls are {who}'s current call")]
async fn ongoing(world: &mut CallWorld, who: Who, owner: Who) {
    let Who(who) = who;
    let Who(owner) = owner;
    let call_id = world.current_call_id(&owner).await;
    let engine = world.person(&who).engine.clone();
    let logs = match engine.get_ongoing_call_logs().await {
        Ok(l) => l,
        Err(e) => panic!("{who} cannot read ongoing calls: {e}"),
    };
    let ids: Vec<String> = logs.iter().map(|l| l.call_id.clone()).collect();
    assert_eq!(ids, vec![call_id]);
    assert!(
        logs.iter()
            .all(|l| l.end_time.is_none() && l.end_reason.is_none())
    );
}

#[then(expr = "{who} has no ongoing calls")]
async fn no_ongoing(world: &mut CallWorld, who: Who) {
    let Who(who) = who;
    let engine = world.person(&who).engine.clone();
    match engine.get_ongoing_call_logs().await {
        Ok(l) => assert!(l.is_empty(), "{who} has ongoing calls: {l:?}"),
        Err(e) => panic!("{who} cannot read ongoing calls: {e}"),
    }
}

#[then(expr = "{who}'s history holds {int} call(s)")]
async fn history_holds(world: &mut CallWorld, who: Who, n: usize) {
    let Who(who) = who;
    let p = page(world, &who, -1, 50, CallLogOrder::Desc).await;
    assert_eq!(
        p.call_log_list.len(),
        n,
        "{who}'s history: {:?}",
        p.call_log_list
            .iter()
            .map(|l| &l.call_id)
            .collect::<Vec<_>>()
    );
}
