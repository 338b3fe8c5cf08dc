//! How profiles, leads, jobs and companies go live: the approval engine's
//! appliers for PROFILE, LEAD, JOB and COMPANY requests.

use crate::service::approval::Appliers;

/// Registers the marketplace's appliers with the engine.
pub fn register_applier(a: &mut Appliers) {
    super::profiles::register_applier(a);
    super::leads::register_applier(a);
    super::jobs::register_appliers(a);
    super::people::register_applier(a);
}
