//! Verification and KYC: uploaded documents (checked by their bytes,
//! hashed, kept in the object store and downloaded only through signed
//! links), the KYC submission of source 004 (`user_kyc`, reviewed through
//! the approval engine), and its expiry. Decisions are made by the
//! approval engine's reviewers; [`kyc::KycApplier`] applies them.

pub mod files;
pub mod kyc;
pub mod kyc_read;
pub mod perms;
pub mod requests;

/// Registers this domain's appliers with the approval engine.
pub fn register_applier(appliers: &mut crate::service::approval::Appliers) {
    kyc::register_applier(appliers);
    requests::register_applier(appliers);
}

/// Schedules and registers this domain's background jobs (the KYC expiry
/// pass, once a minute, safe on any number of instances).
pub async fn register_jobs(
    db: &sea_orm::DatabaseConnection,
    worker: &mut crate::infra::jobs::Worker,
    bus: &crate::infra::events::EventBus,
) {
    if let Err(e) = crate::infra::jobs::ensure_recurring(db, kyc::EXPIRY_JOB, kyc::EXPIRY_EVERY).await {
        tracing::warn!(error = %e, "cannot schedule the KYC expiry job");
    }
    let (db, bus) = (db.clone(), bus.clone());
    worker.register(kyc::EXPIRY_JOB, move |_job| {
        let (db, bus) = (db.clone(), bus.clone());
        async move {
            let n = kyc::expire_due(&db, &bus).await.map_err(|e| e.to_string())?;
            if n > 0 {
                tracing::info!(expired = n, "KYC expired");
            }
            Ok(())
        }
    });
}
