//! Fault injection for the sandbox, for tests and demos: added latency, a share of calls
//! answered 429 (with `Retry-After`) or 503, calls that hang past a client's timeout, and named
//! calls made to fail. Configured by a string such as
//! `latency_ms=50, rate_429=0.1, rate_503=0.05, timeout_rate=0.01, fail=POST /shares, down=POST /recipients`.

use std::time::Duration;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    pub latency: Duration,
    /// Share of calls answered 429 with `Retry-After: 1`.
    pub rate_429: f64,
    /// Share of calls answered 503.
    pub rate_503: f64,
    /// Share of calls that hang for `hang` before answering.
    pub timeout_rate: f64,
    pub hang: Duration,
    /// Calls (`METHOD /path-prefix`) always answered 500.
    pub fail: Vec<(String, String)>,
    /// Calls (`METHOD /path-prefix`) always answered 503: an outage that outlasts any retry.
    pub down: Vec<(String, String)>,
}

/// What to do to one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    TooManyRequests,
    Unavailable,
    Hang(Duration),
    Fail,
}

impl Faults {
    /// Parses the configuration string; the error names the part that is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut faults = Faults { hang: Duration::from_secs(60), ..Faults::default() };
        for part in text.split([',', ';']).map(str::trim).filter(|part| !part.is_empty()) {
            let (key, value) = part.split_once('=').ok_or_else(|| format!("`{part}` is not key=value"))?;
            let (key, value) = (key.trim(), value.trim());
            let rate = || {
                value
                    .parse::<f64>()
                    .ok()
                    .filter(|rate| (0.0..=1.0).contains(rate))
                    .ok_or_else(|| format!("`{part}`: a rate between 0 and 1"))
            };
            let millis = || value.parse::<u64>().map(Duration::from_millis).map_err(|_| format!("`{part}`: milliseconds"));
            match key {
                "latency_ms" => faults.latency = millis()?,
                "rate_429" => faults.rate_429 = rate()?,
                "rate_503" => faults.rate_503 = rate()?,
                "timeout_rate" => faults.timeout_rate = rate()?,
                "hang_ms" => faults.hang = millis()?,
                "fail" | "down" => {
                    let (method, path) = value.split_once(' ').ok_or_else(|| format!("`{part}`: {key}=METHOD /path"))?;
                    let call = (method.trim().to_ascii_uppercase(), path.trim().to_string());
                    if key == "fail" {
                        faults.fail.push(call);
                    } else {
                        faults.down.push(call);
                    }
                }
                other => return Err(format!("unknown fault `{other}`")),
            }
        }
        Ok(faults)
    }

    pub fn is_empty(&self) -> bool {
        *self == Faults { hang: self.hang, ..Faults::default() }
    }

    /// The fault for a call, given a random number in [0, 1).
    pub fn decide(&self, method: &str, path: &str, random: f64) -> Option<Fault> {
        if self.fail.iter().any(|(m, prefix)| m == method && path.starts_with(prefix.as_str())) {
            return Some(Fault::Fail);
        }
        if self.down.iter().any(|(m, prefix)| m == method && path.starts_with(prefix.as_str())) {
            return Some(Fault::Unavailable);
        }
        let mut threshold = self.rate_429;
        if random < threshold {
            return Some(Fault::TooManyRequests);
        }
        threshold += self.rate_503;
        if random < threshold {
            return Some(Fault::Unavailable);
        }
        threshold += self.timeout_rate;
        (random < threshold).then_some(Fault::Hang(self.hang))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_configured_by_a_short_string() {
        let faults = Faults::parse("latency_ms=50, rate_429=0.1, rate_503=0.2, timeout_rate=0.1, hang_ms=5000, fail=POST /shares").unwrap();
        assert_eq!(faults.latency, Duration::from_millis(50));
        assert_eq!(faults.decide("POST", "/shares", 0.99), Some(Fault::Fail));
        assert_eq!(faults.decide("GET", "/shares", 0.05), Some(Fault::TooManyRequests));
        assert_eq!(faults.decide("GET", "/shares", 0.25), Some(Fault::Unavailable));
        assert_eq!(faults.decide("GET", "/shares", 0.35), Some(Fault::Hang(Duration::from_millis(5000))));
        assert_eq!(faults.decide("GET", "/shares", 0.45), None);
        let down = Faults::parse("down=POST /recipients").unwrap();
        assert_eq!(down.decide("POST", "/recipients", 0.99), Some(Fault::Unavailable));
        assert_eq!(down.decide("GET", "/recipients", 0.0), None);
        assert!(Faults::parse("").unwrap().is_empty());
        assert!(Faults::parse("rate_429=2").unwrap_err().contains("rate_429"));
        assert!(Faults::parse("explode=1").is_err());
    }
}
