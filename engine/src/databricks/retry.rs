//! When to try a failed call again. Pure: the caller supplies the clock and the randomness, so
//! the policy is tested without sleeping.
//!
//! Transient failures (429, 5xx, timeouts, refused connections) are retried with exponential
//! backoff and jitter, honouring the server's `Retry-After`, until attempts or the overall
//! deadline run out. Everything else fails at once.

use super::error::ApiError;
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The first pause; each next one doubles.
    pub base_delay: Duration,
    /// No single pause is longer.
    pub max_delay: Duration,
    /// No call, pauses included, takes longer.
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
            deadline: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The pause before the next attempt after `attempt` (1-based) failed with `error`, `elapsed`
    /// into the call; `None` to give up. `jitter` is a number in [0, 1).
    pub fn next_delay(&self, attempt: u32, error: &ApiError, elapsed: Duration, jitter: f64) -> Option<Duration> {
        if !error.kind.is_transient() || attempt >= self.max_attempts {
            return None;
        }
        let backoff = self.base_delay.saturating_mul(1 << (attempt - 1).min(16)).min(self.max_delay);
        // Spread clients apart: between 75% and 125% of the backoff.
        let spread = backoff.mul_f64(0.75 + jitter.clamp(0.0, 1.0) * 0.5);
        let delay = match error.retry_after {
            Some(asked) => asked.max(spread.min(asked + Duration::from_millis(250))),
            None => spread,
        };
        (elapsed + delay < self.deadline).then_some(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::databricks::error::ErrorKind;

    fn error(kind: ErrorKind, retry_after: Option<u64>) -> ApiError {
        ApiError { retry_after: retry_after.map(Duration::from_secs), ..ApiError::transport(kind, "x") }
    }

    #[test]
    fn transient_errors_back_off_exponentially() {
        let policy = RetryPolicy::default();
        let delays: Vec<_> =
            (1..6).map(|attempt| policy.next_delay(attempt, &error(ErrorKind::Unavailable, None), Duration::ZERO, 0.5)).collect();
        assert_eq!(delays, [250, 500, 1000, 2000, 4000].map(|ms| Some(Duration::from_millis(ms))));
        assert_eq!(policy.next_delay(6, &error(ErrorKind::Unavailable, None), Duration::ZERO, 0.5), None, "attempts run out");
    }

    #[test]
    fn retry_after_is_honoured_and_the_deadline_holds() {
        let policy = RetryPolicy::default();
        assert_eq!(policy.next_delay(1, &error(ErrorKind::RateLimited, Some(3)), Duration::ZERO, 0.0), Some(Duration::from_secs(3)));
        assert_eq!(policy.next_delay(1, &error(ErrorKind::RateLimited, Some(3)), Duration::from_secs(118), 0.0), None);
    }

    #[test]
    fn permanent_errors_are_not_retried() {
        for kind in [ErrorKind::Invalid, ErrorKind::NotFound, ErrorKind::AlreadyExists, ErrorKind::Forbidden, ErrorKind::Unauthenticated] {
            assert_eq!(RetryPolicy::default().next_delay(1, &error(kind, None), Duration::ZERO, 0.5), None, "{kind:?}");
        }
    }

    #[test]
    fn jitter_spreads_the_pause() {
        let policy = RetryPolicy::default();
        let low = policy.next_delay(3, &error(ErrorKind::Unavailable, None), Duration::ZERO, 0.0).unwrap();
        let high = policy.next_delay(3, &error(ErrorKind::Unavailable, None), Duration::ZERO, 0.999).unwrap();
        assert_eq!(low, Duration::from_millis(750));
        assert!(high > Duration::from_millis(1240) && high <= Duration::from_millis(1250));
    }
}
