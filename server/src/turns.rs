//! One change at a time per user, so that pushes reach clients in the order the store
//! committed them. Without it, two concurrent changes for one user could push their unread
//! counts in the wrong order and leave clients showing a stale count.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OwnedMutexGuard;

#[derive(Default)]
pub struct Turns {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// Held while a user's change is stored and pushed; the next change of that user waits.
pub struct Turn<'a> {
    turns: &'a Turns,
    user_id: String,
    lock: Arc<tokio::sync::Mutex<()>>,
    guard: Option<OwnedMutexGuard<()>>,
}

impl Turns {
    /// Waits until no other change of `user_id` is in progress.
    pub async fn take(&self, user_id: &str) -> Turn<'_> {
        let lock = self.map().entry(user_id.to_owned()).or_default().clone();
        let guard = lock.clone().lock_owned().await;
        Turn {
            turns: self,
            user_id: user_id.to_owned(),
            lock,
            guard: Some(guard),
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<tokio::sync::Mutex<()>>>> {
        self.locks.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.map().len()
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.guard.take();
        let mut map = self.turns.map();
        // Only the map and this turn hold the lock: nobody is waiting, so forget the user.
        if Arc::strong_count(&self.lock) == 2 {
            map.remove(&self.user_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn changes_of_one_user_take_turns_and_the_map_empties() {
        let turns = Arc::new(Turns::default());
        let inside = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (turns, inside) = (turns.clone(), inside.clone());
                tokio::spawn(async move {
                    let _turn = turns.take("u").await;
                    assert_eq!(
                        inside.fetch_add(1, Ordering::SeqCst),
                        0,
                        "two changes of one user at once"
                    );
                    tokio::task::yield_now().await;
                    inside.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(turns.len(), 0);
    }

    #[tokio::test]
    async fn different_users_do_not_wait_for_each_other() {
        let turns = Turns::default();
        let _a = turns.take("a").await;
        let _b = turns.take("b").await;
        assert_eq!(turns.len(), 2);
    }
}
