//! Rate limits per identity on what costs the most: uploads, validations and plans (each reads
//! a file and may read the workspace). A person gets a burst of `per_minute` and then that many
//! per minute (GCRA, the `governor` crate); past it, 429 with when to try again. Counted per
//! portal instance: a limit against runaway scripts, not an exact quota.

use super::Principal;
use crate::error::{Class, Problem};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;

pub struct Throttle {
    limiter: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
    per_minute: u32,
}

impl Throttle {
    pub fn per_minute(per_minute: u32) -> Throttle {
        let rate = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Throttle { limiter: RateLimiter::keyed(Quota::per_minute(rate)), clock: DefaultClock::default(), per_minute: rate.get() }
    }

    /// Counts one costly request of `by`, or says when they may try again.
    pub fn admit(&self, by: &Principal) -> Result<(), Problem> {
        // The open REST API is one identity: everyone using it shares its limit.
        let key = if by.user_id.is_nil() { by.email.clone() } else { by.user_id.to_string() };
        self.admit_key(&key)
    }

    /// Counts one request under any key (sign-in attempts per e-mail).
    pub fn admit_key(&self, key: &str) -> Result<(), Problem> {
        let key = key.to_string();
        if self.limiter.len() > 10_000 {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let mut problem = Problem::new(
                Class::TooMany,
                "rate_limited",
                format!("Too many requests in a short time (the limit is {} a minute)", self.per_minute),
            )
            .hint(format!("Try again in {seconds} s"));
            problem.retry_after = Some(seconds.max(1));
            problem
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_429_with_retry_after() {
        let throttle = Throttle::per_minute(3);
        let ada = Principal::operator();
        for _ in 0..3 {
            assert!(throttle.admit(&ada).is_ok());
        }
        let refused = throttle.admit(&ada).unwrap_err();
        assert_eq!(refused.class.status(), 429);
        assert!(refused.retry_after.is_some_and(|seconds| (1..=20).contains(&seconds)), "{:?}", refused.retry_after);
        let mut bob = Principal::operator();
        bob.user_id = uuid::Uuid::from_u128(7);
        assert!(throttle.admit(&bob).is_ok(), "limits are per identity");
    }
}
