//! What a signaling load run came to: per wave, counts, setup-time
//! percentiles (to p99.9, from an HdrHistogram) and the histogram's
//! distribution, the generator's own lateness, server memory; as a value
//! and as JSON (`nccall-sim signaling-load --json`).

use std::time::Duration;

use super::signaling::LoadConfig;

/// Setup-time percentiles and counts of one wave.
#[derive(Debug, Clone)]
pub struct WaveReport {
    /// Calls placed.
    pub placed: usize,
    /// Calls that connected.
    pub connected: usize,
    /// Calls that failed (refused, timed out, dropped).
    pub errors: usize,
    /// Median setup: scheduled `startCall` to both sides connected.
    pub p50: Duration,
    /// 90th percentile setup.
    pub p90: Duration,
    /// 99th percentile setup.
    pub p99: Duration,
    /// 99.9th percentile setup.
    pub p999: Duration,
    /// Slowest setup.
    pub max: Duration,
    /// How late the generator sent `startCall` after its scheduled time
    /// (part of every setup time above): median and p99.
    pub lag_p50: Duration,
    /// 99th percentile of that lateness.
    pub lag_p99: Duration,
    /// Setup times, microseconds: (percentile, value) at every step of
    /// HdrHistogram's percentile distribution (5 ticks per half).
    pub distribution: Vec<(f64, u64)>,
    /// Server memory with every call of the wave up.
    pub server_kib_with_calls: Option<u64>,
    /// From the first call placed until the last call ended.
    pub took: Duration,
}

/// What a signaling load run measured.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// Users connected.
    pub users: usize,
    /// How long connecting every user took.
    pub connect_took: Duration,
    /// Users who could not connect.
    pub connect_errors: usize,
    /// Server memory before anyone connected (a child simulator on Linux).
    pub server_kib_idle: Option<u64>,
    /// Server memory with every user connected.
    pub server_kib_connected: Option<u64>,
    /// One report per wave.
    pub waves: Vec<WaveReport>,
}

impl LoadReport {
    /// Server memory per connected user, from the idle and connected figures.
    pub fn kib_per_user(&self) -> Option<f64> {
        let (idle, connected) = (self.server_kib_idle?, self.server_kib_connected?);
        Some(connected.saturating_sub(idle) as f64 / self.users.max(1) as f64)
    }
}

pub(super) fn exact_quantile(values: &mut [Duration], q: f64) -> Duration {
    values.sort_unstable();
    if values.is_empty() {
        return Duration::ZERO;
    }
    let index = ((values.len() - 1) as f64 * q).round() as usize;
    values[index.min(values.len() - 1)]
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl LoadReport {
    /// The report as JSON (times in microseconds, memory in KiB; `null`
    /// where the simulator's memory could not be read).
    pub fn to_json(&self, config: &LoadConfig, url: &str) -> serde_json::Value {
        serde_json::json!({
            "config": {
                "users": config.users,
                "calls": config.calls,
                "waves": config.waves,
                "rate": config.rate,
                "groupSize": config.group_size,
                "durationSecs": config.duration.map(|d| d.as_secs()),
                "rampSecs": config.ramp.as_secs(),
                "connectConcurrency": config.connect_concurrency,
                "url": url,
            },
            "connect": {
                "users": self.users,
                "errors": self.connect_errors,
                "tookUs": micros(self.connect_took),
                "serverKibIdle": self.server_kib_idle,
                "serverKibConnected": self.server_kib_connected,
                "kibPerUser": self.kib_per_user(),
            },
            "latencyFrom": "the scheduled send time of startCall until the caller's onCallConnected",
            "waves": self.waves.iter().enumerate().map(|(i, w)| serde_json::json!({
                "wave": i + 1,
                "placed": w.placed,
                "connected": w.connected,
                "errors": w.errors,
                "setupUs": {
                    "p50": micros(w.p50),
                    "p90": micros(w.p90),
                    "p99": micros(w.p99),
                    "p99.9": micros(w.p999),
                    "max": micros(w.max),
                },
                "scheduleLagUs": { "p50": micros(w.lag_p50), "p99": micros(w.lag_p99) },
                "distribution": w.distribution.iter().map(|(p, us)| serde_json::json!({"percentile": p, "us": us})).collect::<Vec<_>>(),
                "serverKibWithCalls": w.server_kib_with_calls,
                "tookUs": micros(w.took),
            })).collect::<Vec<_>>(),
        })
    }

    /// One row per wave, with a header: counts, setup percentiles and the
    /// generator's lateness in microseconds, server memory in KiB (empty
    /// where it could not be read), the wave's length in microseconds.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(
            "wave,placed,connected,errors,setup_p50_us,setup_p90_us,setup_p99_us,setup_p999_us,setup_max_us,lag_p50_us,lag_p99_us,server_kib_with_calls,took_us\n",
        );
        for (i, w) in self.waves.iter().enumerate() {
            let kib = w
                .server_kib_with_calls
                .map_or(String::new(), |k| k.to_string());
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                i + 1,
                w.placed,
                w.connected,
                w.errors,
                micros(w.p50),
                micros(w.p90),
                micros(w.p99),
                micros(w.p999),
                micros(w.max),
                micros(w.lag_p50),
                micros(w.lag_p99),
                kib,
                micros(w.took),
            ));
        }
        out
    }
}
