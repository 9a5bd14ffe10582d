//! One history page from the call-log store with 100,000 calls stored for one
//! user (200,000 rows: the peer's logs too), store query only, in memory:
//! the newest page of 50, and a page of 50 from the middle of the history.
//! Target: under 1 ms median. `cargo bench --bench log_page`.

use criterion::{Criterion, criterion_group, criterion_main};
use nccall_protocol::CallLogOrder;
use nccall_sim::{CallLogStore, SeedSpec, SqliteStore};

const CALLS: usize = 100_000;

fn store() -> SqliteStore {
    let mut store = SqliteStore::in_memory().expect("an in-memory store");
    let spec = SeedSpec {
        owner: "alice".into(),
        peer: "bob".into(),
        count: CALLS,
        first_end_time: 1_700_000_000_000,
        interval_ms: 60_000,
    };
    for (end, logs) in spec.calls("bench") {
        store.insert_call("app", end, logs).expect("insert");
    }
    store
}

fn pages(c: &mut Criterion) {
    let store = store();
    let middle = store
        .page("app", "alice", -1, CALLS / 2, CallLogOrder::Desc)
        .expect("a page")
        .sync_time;
    let mut group = c.benchmark_group("call_log_page_of_50_among_100k");
    group.bench_function("newest_desc", |b| {
        b.iter(|| {
            store
                .page("app", "alice", -1, 50, CallLogOrder::Desc)
                .expect("a page")
        })
    });
    group.bench_function("middle_desc", |b| {
        b.iter(|| {
            store
                .page("app", "alice", middle, 50, CallLogOrder::Desc)
                .expect("a page")
        })
    });
    group.bench_function("middle_asc", |b| {
        b.iter(|| {
            store
                .page("app", "alice", middle, 50, CallLogOrder::Asc)
                .expect("a page")
        })
    });
    group.finish();
}

criterion_group!(benches, pages);
criterion_main!(benches);
