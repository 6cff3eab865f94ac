//! The background jobs' settings: the `--job-*` flags, their environment
//! variables and the TOML `[jobs]` table, all from [`JobArgs`].
use std::time::Duration;

use clap::Args;
use serde::{Deserialize, Serialize};

use crate::config::values::{duration_list_or, duration_or};

#[derive(Debug, Clone, Args, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobArgs {
    /// Delays between a failed job's attempts, e.g. `10s,1m,5m,30m,2h,6h,12h` (±20 % jitter each).
    #[arg(
        id = "job_retry_schedule",
        value_name = "SCHEDULE",
        long = "job-retry-schedule",
        env = "SWITCHBOARD_JOB_RETRY_SCHEDULE",
        global = true
    )]
    pub retry_schedule: Option<String>,
    /// How long a worker holds a claimed job before another may take it over, e.g. `60s`.
    #[arg(id = "job_lease", value_name = "DURATION", long = "job-lease", env = "SWITCHBOARD_JOB_LEASE", global = true)]
    pub lease: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSettings {
    /// Delay before retry n (1-based) is `retry_schedule[n - 1]`, ±20 %;
    /// a job fails for good once the schedule is exhausted.
    pub retry_schedule: Vec<Duration>,
    /// A claimed job's lease; past it, another worker may claim the job.
    pub lease: Duration,
}

/// `10s,1m,5m,30m,2h,6h,12h`.
pub const DEFAULT_RETRY_SCHEDULE: [Duration; 7] = [
    Duration::from_secs(10),
    Duration::from_secs(60),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(6 * 3600),
    Duration::from_secs(12 * 3600),
];
pub const DEFAULT_LEASE: Duration = Duration::from_secs(60);

impl JobArgs {
    pub fn resolve(&self) -> anyhow::Result<JobSettings> {
        Ok(JobSettings {
            retry_schedule: duration_list_or(&self.retry_schedule, &DEFAULT_RETRY_SCHEDULE, "--job-retry-schedule")?,
            lease: duration_or(&self.lease, DEFAULT_LEASE, "--job-lease")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bad_values_stop_start_up() {
        let defaults = JobArgs::default().resolve().expect("defaults resolve");
        assert_eq!(defaults, JobSettings { retry_schedule: DEFAULT_RETRY_SCHEDULE.to_vec(), lease: DEFAULT_LEASE });
        let set = JobArgs { retry_schedule: Some("1s,2m".into()), lease: Some("5m".into()) }.resolve().expect("set");
        assert_eq!(set.retry_schedule, vec![Duration::from_secs(1), Duration::from_secs(120)]);
        assert_eq!(set.lease, Duration::from_secs(300));
        let err = JobArgs { retry_schedule: Some("10s,fast".into()), ..Default::default() }.resolve().expect_err("bad");
        assert!(format!("{err:#}").contains("--job-retry-schedule"), "{err:#}");
        assert!(JobArgs { lease: Some("0s".into()), ..Default::default() }.resolve().is_err());
    }
}
