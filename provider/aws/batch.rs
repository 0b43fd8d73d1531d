//! Batched reads: Terraform refreshes resources concurrently, and AWS describes many objects in one
//! call (DescribeClusters 100, DescribeServices 10, DescribeContainerInstances 100, DescribeTasks
//! 100). Reads that arrive within a short window for the same group (e.g. the same cluster) are
//! answered by one call per `max` keys.
//!
//! The call is made by a task of its own, not by the first reader: a reader that is cancelled
//! (Terraform stopping, a timeout) cannot leave the others of its batch waiting. When AWS refuses a
//! batch (one bad key can make it refuse the lot), each key is asked for alone, so one bad key fails
//! only its own reader.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;

use super::errors::AwsError;

type Reply<V> = oneshot::Sender<Result<Option<V>, AwsError>>;
type Queues<V> = Arc<Mutex<HashMap<String, Vec<(String, Reply<V>)>>>>;

pub struct Batcher<V> {
    window: Duration,
    max: usize,
    queues: Queues<V>,
}

impl<V: Clone + Send + 'static> Batcher<V> {
    pub fn new(max: usize, window: Duration) -> Batcher<V> {
        Batcher { window, max: max.max(1), queues: Arc::new(Mutex::new(HashMap::new())) }
    }

    /// The object `key` of `group`, fetched together with the other keys asked for meanwhile.
    /// `fetch` gets up to `max` distinct keys and returns what exists, by key; a key it does not
    /// return is `None` (missing).
    pub async fn get<F, Fut>(&self, group: &str, key: &str, fetch: F) -> Result<Option<V>, AwsError>
    where
        F: Fn(Vec<String>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<HashMap<String, V>, AwsError>> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let leader = match self.queues.lock() {
            Ok(mut q) => {
                let waiting = q.entry(group.to_string()).or_default();
                waiting.push((key.to_string(), tx));
                waiting.len() == 1
            }
            Err(_) => return Err(AwsError::client("internal error: batch queue poisoned")),
        };
        if leader {
            let (queues, group, window, max) = (self.queues.clone(), group.to_string(), self.window, self.max);
            tokio::spawn(async move {
                tokio::time::sleep(window).await;
                let waiting = queues.lock().map(|mut q| q.remove(&group).unwrap_or_default()).unwrap_or_default();
                answer(waiting, max, &fetch).await;
            });
        }
        rx.await.unwrap_or_else(|_| Err(AwsError::client("internal error: the batched read was dropped")))
    }
}

/// Answers every waiter, `max` distinct keys per call.
async fn answer<V, F, Fut>(mut waiting: Vec<(String, Reply<V>)>, max: usize, fetch: &F)
where
    V: Clone,
    F: Fn(Vec<String>) -> Fut,
    Fut: Future<Output = Result<HashMap<String, V>, AwsError>>,
{
    while !waiting.is_empty() {
        let mut keys: Vec<String> = Vec::new();
        let mut take = 0;
        for (k, _) in &waiting {
            if !keys.contains(k) {
                if keys.len() == max {
                    break;
                }
                keys.push(k.clone());
            }
            take += 1;
        }
        let batch: Vec<_> = waiting.drain(..take).collect();
        let several = keys.len() > 1;
        match fetch(keys).await {
            Ok(found) => {
                for (k, reply) in batch {
                    let _ = reply.send(Ok(found.get(&k).cloned()));
                }
            }
            // AWS refused the batch as a whole: one key at a time, so only the bad one fails.
            Err(e) if several && !e.is_retryable() => {
                let mut alone: HashMap<String, Result<Option<V>, AwsError>> = HashMap::new();
                for (k, reply) in batch {
                    if !alone.contains_key(&k) {
                        let one = fetch(vec![k.clone()]).await.map(|mut m| m.remove(&k));
                        alone.insert(k.clone(), one);
                    }
                    let _ = reply.send(alone[&k].clone());
                }
            }
            Err(e) => {
                for (_, reply) in batch {
                    let _ = reply.send(Err(e.clone()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn concurrent_reads_share_calls() {
        let b = Arc::new(Batcher::<String>::new(10, Duration::from_millis(20)));
        let calls = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::new();
        for i in 0..25 {
            let (b, calls) = (b.clone(), calls.clone());
            handles.push(tokio::spawn(async move {
                b.get("cluster-a", &format!("svc-{i}"), move |keys| {
                    let calls = calls.clone();
                    async move {
                        assert!(keys.len() <= 10);
                        calls.fetch_add(1, Ordering::SeqCst);
                        Ok(keys.into_iter().filter(|k| k != "svc-3").map(|k| (k.clone(), k.to_uppercase())).collect())
                    }
                })
                .await
            }));
        }
        let mut results = Vec::new();
        for h in handles {
            results.push(h.await.unwrap().unwrap());
        }
        assert_eq!(calls.load(Ordering::SeqCst), 3, "25 keys in batches of 10");
        assert_eq!(results[0].as_deref(), Some("SVC-0"));
        assert_eq!(results[3], None, "a key the call did not return is missing");
    }

    #[tokio::test]
    async fn groups_are_batched_separately_and_errors_reach_everyone() {
        let b = Arc::new(Batcher::<u32>::new(100, Duration::from_millis(10)));
        let h1 = {
            let b = b.clone();
            tokio::spawn(async move { b.get("a", "x", |_| async { Err::<HashMap<String, u32>, _>(AwsError::client("boom")) }).await })
        };
        let h2 = {
            let b = b.clone();
            tokio::spawn(async move { b.get("b", "x", |_| async { Ok([("x".to_string(), 7)].into()) }).await })
        };
        assert_eq!(h1.await.unwrap(), Err(AwsError::client("boom")));
        assert_eq!(h2.await.unwrap(), Ok(Some(7)));
    }

    #[tokio::test]
    async fn a_cancelled_first_reader_does_not_strand_the_others() {
        let b = Arc::new(Batcher::<u32>::new(100, Duration::from_millis(30)));
        let fetch = |keys: Vec<String>| async move { Ok(keys.into_iter().map(|k| (k, 1)).collect()) };
        let first = {
            let b = b.clone();
            tokio::spawn(async move { b.get("g", "a", fetch).await })
        };
        tokio::time::sleep(Duration::from_millis(5)).await;
        let second = {
            let b = b.clone();
            tokio::spawn(async move { b.get("g", "b", fetch).await })
        };
        first.abort();
        let got = tokio::time::timeout(Duration::from_secs(2), second).await.expect("the second reader must be answered");
        assert_eq!(got.unwrap(), Ok(Some(1)));
    }

    #[tokio::test]
    async fn one_bad_key_fails_only_its_reader() {
        let b = Arc::new(Batcher::<u32>::new(100, Duration::from_millis(20)));
        let fetch = |keys: Vec<String>| async move {
            if keys.iter().any(|k| k == "bad") {
                Err(AwsError::client("InvalidParameterException: bad"))
            } else {
                Ok(keys.into_iter().map(|k| (k, 2)).collect())
            }
        };
        let mut hs = Vec::new();
        for k in ["good", "bad", "fine"] {
            let b = b.clone();
            hs.push(tokio::spawn(async move { b.get("g", k, fetch).await }));
        }
        let got: Vec<_> = futures_join(hs).await;
        assert_eq!(got[0], Ok(Some(2)));
        assert!(got[1].is_err());
        assert_eq!(got[2], Ok(Some(2)));
    }

    async fn futures_join<T>(hs: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
        let mut out = Vec::new();
        for h in hs {
            out.push(h.await.unwrap());
        }
        out
    }
}
