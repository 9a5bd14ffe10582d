//! What a call-setup run came to: for each phase and floor, the number of
//! samples and the percentiles p50, p90, p99, p99.9 and max (an
//! HdrHistogram of microseconds, three significant figures), each phase's
//! median as a ratio of its floor's; a table to read, JSON to keep.

use std::time::Duration;

use serde_json::{Value, json};

/// Samples of one quantity, in microseconds.
pub struct Series {
    pub name: &'static str,
    /// What it measures, for the table and the JSON.
    pub what: &'static str,
    histogram: Option<hdrhistogram::Histogram<u64>>,
}

/// The percentiles reported, by name.
pub const PERCENTILES: [(&str, f64); 4] = [
    ("p50", 0.50),
    ("p90", 0.90),
    ("p99", 0.99),
    ("p99.9", 0.999),
];

impl Series {
    pub fn new(name: &'static str, what: &'static str) -> Self {
        Series {
            name,
            what,
            // 1 µs to an hour, 3 significant figures.
            histogram: hdrhistogram::Histogram::new_with_bounds(1, 3_600_000_000, 3).ok(),
        }
    }

    pub fn record(&mut self, d: Duration) {
        if let Some(h) = self.histogram.as_mut() {
            let _ = h.record(u64::try_from(d.as_micros()).unwrap_or(u64::MAX).max(1));
        }
    }

    pub fn count(&self) -> u64 {
        self.histogram.as_ref().map_or(0, |h| h.len())
    }

    /// The value at quantile `q`, µs (0 with no samples).
    pub fn at(&self, q: f64) -> u64 {
        match &self.histogram {
            Some(h) if !h.is_empty() => h.value_at_quantile(q),
            _ => 0,
        }
    }

    pub fn max(&self) -> u64 {
        self.histogram.as_ref().map_or(0, |h| h.max())
    }

    fn json(&self) -> Value {
        let mut percentiles = serde_json::Map::new();
        for (name, q) in PERCENTILES {
            percentiles.insert(name.into(), json!(self.at(q)));
        }
        percentiles.insert("max".into(), json!(self.max()));
        json!({ "what": self.what, "samples": self.count(), "us": percentiles })
    }
}

/// A whole run: the floors, then the phases, and which floor each phase
/// is read against.
pub struct Report {
    /// Who was measured (`hello`'s implementation and version, or the
    /// reference engine in process) and through what.
    pub sdk: String,
    pub driver: String,
    pub floors: Vec<Series>,
    /// Each phase with the name of its floor.
    pub phases: Vec<(Series, &'static str)>,
    pub failed_calls: usize,
}

fn ms(us: u64) -> String {
    format!("{:.3}", us as f64 / 1000.0)
}

impl Report {
    fn floor(&self, name: &str) -> Option<&Series> {
        self.floors.iter().find(|f| f.name == name)
    }

    /// A phase's median over its floor's.
    pub fn ratio(&self, phase: &Series, floor: &str) -> Option<f64> {
        let floor = self.floor(floor)?;
        (floor.at(0.5) > 0 && phase.count() > 0)
            .then(|| phase.at(0.5) as f64 / floor.at(0.5) as f64)
    }

    /// The report as a table, milliseconds.
    pub fn table(&self) -> String {
        let mut out = format!("call setup of {} ({})\n", self.sdk, self.driver);
        out.push_str(&format!(
            "{:<16} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8}\n",
            "ms", "samples", "p50", "p90", "p99", "p99.9", "max", "x floor"
        ));
        let mut row = |s: &Series, ratio: Option<f64>| {
            out.push_str(&format!(
                "{:<16} {:>7} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8}\n",
                s.name,
                s.count(),
                ms(s.at(0.5)),
                ms(s.at(0.9)),
                ms(s.at(0.99)),
                ms(s.at(0.999)),
                ms(s.max()),
                ratio.map_or("-".to_string(), |r| format!("{r:.2}")),
            ));
        };
        for f in &self.floors {
            row(f, None);
        }
        for (p, floor) in &self.phases {
            row(p, self.ratio(p, floor));
        }
        if self.failed_calls > 0 {
            out.push_str(&format!("failed calls: {}\n", self.failed_calls));
        }
        out
    }

    /// The report as JSON: microseconds; each phase names its floor and the
    /// ratio of the medians.
    pub fn json(&self) -> Value {
        let floors: serde_json::Map<String, Value> = self
            .floors
            .iter()
            .map(|f| (f.name.to_string(), f.json()))
            .collect();
        let phases: serde_json::Map<String, Value> = self
            .phases
            .iter()
            .map(|(p, floor)| {
                let mut v = p.json();
                v["floor"] = json!(floor);
                v["medianOverFloor"] = json!(self.ratio(p, floor));
                (p.name.to_string(), v)
            })
            .collect();
        json!({
            "sdk": self.sdk,
            "driver": self.driver,
            "floors": floors,
            "phases": phases,
            "failedCalls": self.failed_calls,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_ratios_come_from_the_samples() {
        let mut floor = Series::new("floor", "a floor");
        let mut phase = Series::new("phase", "a phase");
        for ms in 1..=100u64 {
            floor.record(Duration::from_millis(ms));
            phase.record(Duration::from_millis(3 * ms));
        }
        assert_eq!(phase.count(), 100);
        assert!(
            (phase.at(0.5) as i64 - 150_000).abs() < 200,
            "{}",
            phase.at(0.5)
        );
        assert!(phase.at(0.99) > phase.at(0.9) && phase.max() >= phase.at(0.999));
        let report = Report {
            sdk: "sdk".into(),
            driver: "in process".into(),
            floors: vec![floor],
            phases: vec![(phase, "floor")],
            failed_calls: 0,
        };
        let ratio = report.ratio(&report.phases[0].0, "floor").unwrap_or(0.0);
        assert!((ratio - 3.0).abs() < 0.01, "{ratio}");
        let json = report.json();
        assert_eq!(json["phases"]["phase"]["samples"], 100);
        assert_eq!(json["phases"]["phase"]["floor"], "floor");
        assert!(report.table().contains("3.00"));
    }
}
