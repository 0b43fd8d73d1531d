//! The one way this provider waits for AWS: poll with backoff and jitter, log progress at INFO,
//! honour the timeout and Terraform's StopProvider, and say on failure what it waited for and what
//! AWS last said.

use std::future::Future;
use std::time::{Duration, Instant};

use super::resource::{Context, Stop};
use crate::tf::Diagnostics;

/// One look at AWS while waiting.
pub enum Poll<T> {
    Done(T),
    /// Not there yet; the text says what AWS reports now (it is logged, and quoted on timeout).
    Pending(String),
}

pub struct Wait {
    stop: Stop,
    what: String,
    timeout: Duration,
    first_delay: Duration,
    max_delay: Duration,
}

impl Wait {
    /// `what` completes "waiting for …", e.g. "container instance i-0abc to be ACTIVE".
    pub fn new(ctx: &impl Context, what: impl Into<String>, timeout: Duration) -> Wait {
        Wait {
            stop: ctx.stop().clone(),
            what: what.into(),
            timeout,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(10),
        }
    }
    pub fn delays(mut self, first: Duration, max: Duration) -> Wait {
        self.first_delay = first;
        self.max_delay = max;
        self
    }

    pub async fn until<T, F, Fut>(self, mut poll: F) -> Result<T, Diagnostics>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Poll<T>, Diagnostics>>,
    {
        let start = Instant::now();
        let mut delay = self.first_delay;
        let mut last = String::new();
        let mut last_logged = Instant::now();
        loop {
            // One look may not outlive the timeout or Terraform's StopProvider (a hung call).
            let left = self.timeout.saturating_sub(start.elapsed());
            let answer = tokio::select! {
                a = poll() => a,
                _ = tokio::time::sleep(left) => return Err(self.timed_out(&last, "the last look at AWS did not answer in time")),
                _ = self.stop.wait() => return Err(self.interrupted(&last)),
            };
            let looked = match answer {
                Ok(p) => p,
                // A throttled or unanswered read is not an answer: keep waiting until the timeout.
                Err(d) if d.is_transient() => {
                    let why = d.0.first().map(|x| format!("{}: {}", x.summary, x.detail)).unwrap_or_default();
                    tracing::warn!(
                        elapsed_s = start.elapsed().as_secs(),
                        "while waiting for {}: AWS did not answer this time, trying again: {why}",
                        self.what
                    );
                    Poll::Pending(if last.is_empty() { format!("no answer from AWS ({why})") } else { last.clone() })
                }
                Err(d) => return Err(d),
            };
            match looked {
                Poll::Done(v) => {
                    tracing::info!(waited_s = start.elapsed().as_secs_f64(), "done waiting for {}", self.what);
                    return Ok(v);
                }
                Poll::Pending(status) => {
                    if status != last || last_logged.elapsed() >= Duration::from_secs(30) {
                        tracing::info!(elapsed_s = start.elapsed().as_secs(), "still waiting for {}: {}", self.what, status);
                        last_logged = Instant::now();
                    }
                    last = status;
                }
            }
            let elapsed = start.elapsed();
            if elapsed >= self.timeout {
                return Err(self.timed_out(&last, ""));
            }
            let sleep = jitter(delay).min(self.timeout - elapsed);
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = self.stop.wait() => return Err(self.interrupted(&last)),
            }
            delay = (delay.mul_f64(1.5)).min(self.max_delay);
        }
    }

    fn timed_out(&self, last: &str, why: &str) -> Diagnostics {
        let why = if why.is_empty() { String::new() } else { format!(" ({why})") };
        Diagnostics::of_error(
            format!("Timed out after {} waiting for {}{why}", human(self.timeout), self.what),
            format!(
                "Last status from AWS: {last}\n\nRaise the timeout in the resource's `timeouts` block if this is expected to take longer."
            ),
        )
    }

    fn interrupted(&self, last: &str) -> Diagnostics {
        Diagnostics::of_error(
            format!("Interrupted while waiting for {}", self.what),
            format!("Terraform asked the provider to stop. Last status from AWS: {last}"),
        )
    }
}

/// ±20% so that many resources waiting together do not poll in lockstep.
fn jitter(d: Duration) -> Duration {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|t| t.subsec_nanos()).unwrap_or(0);
    let factor = 0.8 + 0.4 * (nanos % 1000) as f64 / 1000.0;
    d.mul_f64(factor)
}

pub fn human(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s}s"),
        (h, m, _) => format!("{h}h{m}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[derive(Clone)]
    struct TestCtx(Stop, std::collections::BTreeMap<String, String>);
    impl Context for TestCtx {
        fn default_tags(&self) -> Option<&std::collections::BTreeMap<String, String>> {
            Some(&self.1)
        }
        fn stop(&self) -> &Stop {
            &self.0
        }
    }

    fn ctx() -> (TestCtx, tokio::sync::watch::Sender<bool>) {
        let (stop, tx) = Stop::channel();
        (TestCtx(stop, Default::default()), tx)
    }

    #[tokio::test]
    async fn returns_when_done() {
        let (ctx, _tx) = ctx();
        let n = AtomicU32::new(0);
        let got = Wait::new(&ctx, "thing", Duration::from_secs(5))
            .delays(Duration::from_millis(5), Duration::from_millis(10))
            .until(|| async {
                let i = n.fetch_add(1, Ordering::SeqCst);
                Ok(if i >= 2 { Poll::Done(i) } else { Poll::Pending(format!("try {i}")) })
            })
            .await
            .unwrap_or(0);
        assert_eq!(got, 2);
    }

    #[tokio::test]
    async fn times_out_with_the_last_status() {
        let (ctx, _tx) = ctx();
        let err = Wait::new(&ctx, "the cluster to be ACTIVE", Duration::from_millis(50))
            .delays(Duration::from_millis(5), Duration::from_millis(10))
            .until(|| async { Ok::<Poll<()>, Diagnostics>(Poll::Pending("PROVISIONING".into())) })
            .await
            .expect_err("must time out");
        let d = &err.0[0];
        assert!(d.summary.contains("Timed out") && d.summary.contains("the cluster to be ACTIVE"), "{}", d.summary);
        assert!(d.detail.contains("PROVISIONING"), "{}", d.detail);
    }

    #[tokio::test]
    async fn stop_interrupts_the_wait() {
        let (ctx, tx) = ctx();
        let started = Instant::now();
        let h = tokio::spawn(async move {
            Wait::new(&ctx, "x", Duration::from_secs(60))
                .until(|| async { Ok::<Poll<()>, Diagnostics>(Poll::Pending("busy".into())) })
                .await
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        tx.send(true).ok();
        let res = h.await.expect("task");
        assert!(res.is_err());
        assert!(res.err().unwrap().0[0].summary.contains("Interrupted"));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn transient_failures_are_not_an_answer() {
        let (ctx, _tx) = ctx();
        let n = AtomicU32::new(0);
        let got = Wait::new(&ctx, "thing", Duration::from_secs(5))
            .delays(Duration::from_millis(5), Duration::from_millis(10))
            .until(|| async {
                match n.fetch_add(1, Ordering::SeqCst) {
                    0..=5 => Err(Diagnostics::of_error("Cannot read", "ThrottlingException: Rate exceeded").transient()),
                    i => Ok(Poll::Done(i)),
                }
            })
            .await;
        assert_eq!(got.ok(), Some(6), "six throttled polls, then the answer");

        let final_error = Wait::new(&ctx, "thing", Duration::from_secs(5))
            .delays(Duration::from_millis(5), Duration::from_millis(10))
            .until(|| async { Err::<Poll<()>, _>(Diagnostics::of_error("Cannot read", "AccessDenied")) })
            .await;
        assert!(final_error.is_err(), "a definite refusal ends the wait");

        let timed_out = Wait::new(&ctx, "thing", Duration::from_millis(60))
            .delays(Duration::from_millis(5), Duration::from_millis(10))
            .until(|| async { Err::<Poll<()>, _>(Diagnostics::of_error("Cannot read", "Rate exceeded").transient()) })
            .await
            .expect_err("times out");
        assert!(timed_out.0[0].summary.contains("Timed out"), "{:?}", timed_out.0);
        assert!(timed_out.0[0].detail.contains("Rate exceeded"), "{:?}", timed_out.0);
    }

    #[tokio::test]
    async fn a_hung_look_cannot_outlive_the_timeout_or_a_stop() {
        let (ctx, tx) = ctx();
        let started = Instant::now();
        let hung = Wait::new(&ctx, "x", Duration::from_millis(100))
            .until(|| async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                Ok::<Poll<()>, Diagnostics>(Poll::Done(()))
            })
            .await
            .expect_err("times out");
        assert!(hung.0[0].summary.contains("Timed out"), "{:?}", hung.0);
        assert!(started.elapsed() < Duration::from_secs(5));

        let h = tokio::spawn(async move {
            Wait::new(&ctx, "x", Duration::from_secs(60))
                .until(|| async {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    Ok::<Poll<()>, Diagnostics>(Poll::Done(()))
                })
                .await
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        tx.send(true).ok();
        let res = tokio::time::timeout(Duration::from_secs(5), h).await.expect("ends promptly").expect("task");
        assert!(res.expect_err("interrupted").0[0].summary.contains("Interrupted"));
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human(Duration::from_secs(600)), "10m");
        assert_eq!(human(Duration::from_secs(90)), "1m30s");
        assert_eq!(human(Duration::from_secs(45)), "45s");
    }
}
