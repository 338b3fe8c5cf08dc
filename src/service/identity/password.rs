//! Password hashing with argon2id. Hashing runs on the blocking pool: at
//! OWASP's parameters one hash takes tens of milliseconds of CPU and holds
//! 19 MiB, so a semaphore bounds how many run at once (by default one per
//! core): a burst of sign-ins queues instead of growing the process by
//! 19 MiB per request.

use std::sync::Arc;

use tokio::sync::Semaphore;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{AppError, AppResult};

/// argon2id cost parameters (OWASP's minimum: 19 MiB, 2 passes, 1 lane).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Argon2Params {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Argon2Params {
    fn default() -> Self {
        Argon2Params {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// Hashes and verifies passwords with fixed parameters, at most
/// `concurrency` at a time.
#[derive(Clone, Debug)]
pub struct PasswordHasher {
    params: Argon2Params,
    /// One permit per hash allowed to run; shared by clones.
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified against when the account does
    /// not exist so both paths cost the same.
    dummy_hash: String,
}

/// Hashes run at once by default: one per core.
pub fn default_concurrency() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

impl PasswordHasher {
    /// A hasher running at most [`default_concurrency`] hashes at once.
    pub fn new(params: Argon2Params) -> Result<Self, String> {
        Self::with_concurrency(params, default_concurrency())
    }

    /// A hasher running at most `concurrency` (at least 1) hashes at once.
    pub fn with_concurrency(params: Argon2Params, concurrency: usize) -> Result<Self, String> {
        let argon = argon(params)?;
        let salt = SaltString::generate(&mut OsRng);
        let dummy_hash = argon
            .hash_password(crate::infra::crypto::random_token(24).as_bytes(), &salt)
            .map_err(|e| e.to_string())?
            .to_string();
        Ok(PasswordHasher {
            params,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash,
        })
    }

    /// Runs `work` on the blocking pool once a permit is free. The permit
    /// moves into the blocking task, so it is held until the hash is done
    /// even if the request is cancelled meanwhile.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| AppError::internal(anyhow::anyhow!("password hashing stopped: {e}")))?;
        tokio::task::spawn_blocking(move || {
            let out = work();
            drop(permit);
            out
        })
        .await
        .map_err(AppError::internal)
    }

    /// The PHC string of `password` with a fresh salt.
    pub async fn hash(&self, password: &str) -> AppResult<String> {
        let params = self.params;
        let password = password.to_string();
        self.run(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon(params)
                .map_err(|e| AppError::internal(anyhow::anyhow!(e)))?
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| AppError::internal(anyhow::anyhow!("hashing a password: {e}")))
        })
        .await?
    }

    /// True when `password` matches `hash` (constant time). With `None`
    /// (no such account, or no password set) a dummy hash is checked so the
    /// answer takes as long, and is false.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> bool {
        let (hash, real) = match hash {
            Some(h) => (h.to_string(), true),
            None => (self.dummy_hash.clone(), false),
        };
        let password = password.to_string();
        let params = self.params;
        let ok = self
            .run(move || {
                let Ok(parsed) = PasswordHash::new(&hash) else {
                    return false;
                };
                // Hashes made under other parameters still verify: the PHC
                // string carries its own parameters.
                argon(params)
                    .map(|a| a.verify_password(password.as_bytes(), &parsed).is_ok())
                    .unwrap_or(false)
            })
            .await
            .unwrap_or(false);
        ok && real
    }

    /// True when `hash` was made with weaker parameters than the current
    /// ones (rehash on next sign-in).
    pub fn needs_rehash(&self, hash: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(hash) else {
            return true;
        };
        let Ok(params) = Params::try_from(&parsed) else {
            return true;
        };
        params.m_cost() < self.params.memory_kib
            || params.t_cost() < self.params.iterations
            || params.p_cost() < self.params.parallelism
    }
}

fn argon(p: Argon2Params) -> Result<Argon2<'static>, String> {
    let params = Params::new(p.memory_kib, p.iterations, p.parallelism, None).map_err(|e| e.to_string())?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Checks a new password against the policy; the message says what to fix.
pub fn check_policy(password: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < 10 {
        return Err("must be at least 10 characters long".into());
    }
    if len > 256 {
        return Err("must be at most 256 characters long".into());
    }
    if password.chars().all(|c| c == password.chars().next().unwrap_or(' ')) {
        return Err("must not repeat one character".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> PasswordHasher {
        PasswordHasher::new(Argon2Params {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap()
    }

    #[tokio::test]
    async fn hash_and_verify() {
        let h = fast();
        let hash = h.hash("correct horse battery").await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(h.verify("correct horse battery", Some(&hash)).await);
        assert!(!h.verify("wrong horse battery", Some(&hash)).await);
        assert!(!h.verify("correct horse battery", None).await);
        assert!(h.needs_rehash("$argon2id$v=19$m=512,t=1,p=1$c29tZXNhbHQ$aGFzaA"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashes_run_at_most_concurrency_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let h = PasswordHasher::with_concurrency(
            Argon2Params {
                memory_kib: 1024,
                iterations: 1,
                parallelism: 1,
            },
            2,
        )
        .unwrap();
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let (h, running, most) = (h.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    h.run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                    .unwrap();
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let most = most.load(Ordering::SeqCst);
        assert!(
            (1..=2).contains(&most),
            "two permits: never more than two at once, saw {most}"
        );
    }

    #[test]
    fn policy() {
        assert!(check_policy("short").is_err());
        assert!(check_policy("aaaaaaaaaaaa").is_err());
        assert!(check_policy("a reasonable passphrase").is_ok());
    }
}
