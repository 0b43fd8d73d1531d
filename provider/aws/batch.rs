//! Batched reads: Terraform refreshes resources concurrently, and AWS describes many objects in one
//! call (DescribeClusters 100, DescribeServices 10, DescribeContainerInstances 100, DescribeTasks
//! 100). Reads that arrive within a short window for the same group (e.g. the same cluster) are
//! answered by one call per `max` keys.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::oneshot;

type Reply<V> = oneshot::Sender<Result<Option<V>, String>>;

pub struct Batcher<V> {
    window: Duration,
    max: usize,
    queues: Mutex<HashMap<String, Vec<(String, Reply<V>)>>>,
}

impl<V: Clone + Send + 'static> Batcher<V> {
    pub fn new(max: usize, window: Duration) -> Batcher<V> {
        Batcher { window, max: max.max(1), queues: Mutex::new(HashMap::new()) }
    }

    /// The object `key` of `group`, fetched together with the other keys asked for meanwhile.
    /// `fetch` gets up to `max` distinct keys and returns what exists, by key; a key it does not
    /// return is `None` (missing).
    pub async fn get<F, Fut>(&self, group: &str, key: &str, fetch: F) -> Result<Option<V>, String>
    where
        F: Fn(Vec<String>) -> Fut,
        Fut: Future<Output = Result<HashMap<String, V>, String>>,
    {
        let (tx, rx) = oneshot::channel();
        let leader = match self.queues.lock() {
            Ok(mut q) => {
                let waiting = q.entry(group.to_string()).or_default();
                waiting.push((key.to_string(), tx));
                waiting.len() == 1
            }
            Err(_) => return Err("internal error: batch queue poisoned".into()),
        };
        if leader {
            tokio::time::sleep(self.window).await;
            let mut waiting = self.queues.lock().map(|mut q| q.remove(group).unwrap_or_default()).unwrap_or_default();
            while !waiting.is_empty() {
                // Take waiters until `max` distinct keys are covered.
                let mut keys: Vec<String> = Vec::new();
                let mut take = 0;
                for (k, _) in &waiting {
                    if !keys.contains(k) {
                        if keys.len() == self.max {
                            break;
                        }
                        keys.push(k.clone());
                    }
                    take += 1;
                }
                let batch: Vec<_> = waiting.drain(..take).collect();
                let result = fetch(keys).await;
                for (k, reply) in batch {
                    let _ = reply.send(match &result {
                        Ok(found) => Ok(found.get(&k).cloned()),
                        Err(e) => Err(e.clone()),
                    });
                }
            }
        }
        rx.await.unwrap_or_else(|_| Err("the batched read was cancelled".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test]
    async fn concurrent_reads_share_calls() {
        let b = Arc::new(Batcher::<String>::new(10, Duration::from_millis(20)));
        let calls = Arc::new(AtomicUsize::new(0));
        let mut handles = Vec::new();
        for i in 0..25 {
            let (b, calls) = (b.clone(), calls.clone());
            handles.push(tokio::spawn(async move {
                b.get("cluster-a", &format!("svc-{i}"), |keys| {
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
            tokio::spawn(async move { b.get("a", "x", |_| async { Err::<HashMap<String, u32>, _>("boom".to_string()) }).await })
        };
        let h2 = {
            let b = b.clone();
            tokio::spawn(async move { b.get("b", "x", |_| async { Ok([("x".to_string(), 7)].into()) }).await })
        };
        assert_eq!(h1.await.unwrap(), Err("boom".to_string()));
        assert_eq!(h2.await.unwrap(), Ok(Some(7)));
    }
}
