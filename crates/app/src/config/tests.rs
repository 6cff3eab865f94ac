use super::*;

/// `CommonArgs` reading a TOML file with `text` (and no flags).
fn from_file(text: &str) -> (tempfile::TempDir, CommonArgs) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("switchboard.toml");
    std::fs::write(&file, text).expect("write");
    (dir, CommonArgs { config: Some(file), ..Default::default() })
}

#[test]
fn debug_output_hides_passwords() {
    let args = CommonArgs {
        database_url: Some("postgres://sb:db-secret@localhost/sb".into()),
        email: EmailArgs { smtp_url: Some("smtp://mailer:smtp-secret@mail.example.com:587".into()), from: None },
        ..Default::default()
    };
    let printed = format!("{:?}", Config::resolve(&args).expect("resolves"));
    assert!(!printed.contains("db-secret") && !printed.contains("smtp-secret"), "{printed}");
    assert!(printed.contains("mail.example.com"));
}

#[test]
fn defaults_put_everything_under_data() {
    let config = Config::resolve(&CommonArgs::default()).expect("defaults resolve");
    assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(config.data_dir, PathBuf::from("./data"));
    assert_eq!(config.database_url, "sqlite:./data/switchboard.db");
    assert_eq!(config.storage, StorageConfig::Local { root: PathBuf::from("./data/files") });
    assert_eq!(config.email.smtp_url, None);
    assert_eq!(config.email.from, "Switchboard <no-reply@switchboard.localhost>");
    assert_eq!(config.jobs, JobArgs::default().resolve().expect("job defaults"));
    assert_eq!(config.trusted_proxies, TrustedProxies::default());
    assert!(!config.secure_cookies());
}

#[test]
fn flags_win_over_the_toml_file() {
    let (_dir, mut args) =
        from_file("listen = \"127.0.0.1:9000\"\ndata_dir = \"/srv/sb\"\npublic_url = \"https://sb.example.com/\"\n");
    args.listen = Some("127.0.0.1:9001".parse().expect("addr"));
    let config = Config::resolve(&args).expect("resolves");
    assert_eq!(config.listen.port(), 9001);
    assert_eq!(config.data_dir, PathBuf::from("/srv/sb"));
    assert_eq!(config.database_url, "sqlite:/srv/sb/switchboard.db");
    assert_eq!(config.public_url.as_deref(), Some("https://sb.example.com"));
    assert!(config.secure_cookies());
}

#[test]
fn each_feature_reads_its_own_table_and_flags_win_key_by_key() {
    let (_dir, mut args) = from_file(
        "[email]\nsmtp_url = \"smtps://mail.example.com\"\nfrom = \"ops@example.com\"\n\
         [jobs]\nlease = \"5m\"\n\
         [rate_limits]\nip = \"off\"\napi = \"10/s\"\n\
         [audit]\nretention = \"400d\"\n\
         [webhooks]\ntimeout = \"20s\"\nworker = false\nretry_schedule = \"1s,2s\"\n",
    );
    // One key of a table given as a flag: the table's other keys still come from the file.
    args.email.from = Some("a@example.com".into());
    args.webhooks.timeout = Some("30s".into());
    let config = Config::resolve(&args).expect("resolves");
    assert_eq!(config.email.smtp_url.as_deref(), Some("smtps://mail.example.com"));
    assert_eq!(config.email.from, "a@example.com");
    assert_eq!(config.jobs.lease, std::time::Duration::from_secs(300));
    assert_eq!(config.rate_limits.ip, None);
    assert_eq!(config.rate_limits.api.map(|l| l.requests), Some(10));
    assert_eq!(config.audit.retention, Some(std::time::Duration::from_secs(400 * 86_400)));
    assert_eq!(config.webhooks.timeout, std::time::Duration::from_secs(30));
    assert!(!config.webhooks.worker);
    assert_eq!(config.webhooks.retry_schedule.len(), 2);
}

#[test]
fn a_bad_value_in_a_table_names_its_flag() {
    let (_dir, args) = from_file("[jobs]\nretry_schedule = \"10s,fast\"\n");
    let err = Config::resolve(&args).expect_err("refused");
    assert!(format!("{err:#}").contains("--job-retry-schedule"), "{err:#}");
    let (_dir, args) = from_file("[webhooks]\nlease = \"1s\"\n");
    assert!(format!("{:#}", Config::resolve(&args).expect_err("refused")).contains("--webhook-lease"));
}

#[test]
fn keys_that_moved_into_a_table_are_named_with_their_new_place() {
    for (old, new) in [
        ("smtp_url = \"smtp://x\"", "[email] smtp_url"),
        ("webhook_timeout = \"5s\"", "[webhooks] timeout"),
        ("api_rate_limit = \"5/m\"", "[rate_limits] api"),
    ] {
        let (_dir, args) = from_file(old);
        let err = format!("{:#}", Config::resolve(&args).expect_err("refused"));
        assert!(err.contains(new), "{old}: {err}");
    }
}

#[test]
fn inbound_secrets_come_from_flags_or_the_toml_table_and_debug_hides_them() {
    let config = Config::resolve(&CommonArgs::default()).expect("defaults resolve");
    assert!(config.inbound.stripe_webhook_secret.is_none() && config.inbound.telnyx_public_key.is_none());
    let (dir, mut args) = from_file(
        "[inbound]\nstripe_webhook_secret = \"whsec_from_file\"\ntwilio_auth_token = \"tw-from-file\"\n\
         telnyx_public_key = \"A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\"\n",
    );
    args.inbound.stripe_webhook_secret = Some("whsec_from_flag".into());
    let config = Config::resolve(&args).expect("resolves");
    let inbound = &config.inbound;
    assert_eq!(inbound.stripe_webhook_secret.as_ref().map(|s| s.expose().as_str()), Some("whsec_from_flag"));
    assert_eq!(inbound.twilio_auth_token.as_ref().map(|s| s.expose().as_str()), Some("tw-from-file"));
    let printed = format!("{config:?}");
    assert!(!printed.contains("whsec_from_flag") && !printed.contains("tw-from-file"), "{printed}");

    let file = dir.path().join("switchboard.toml");
    std::fs::write(&file, "[inbound]\ntelnyx_public_key = \"bm90IGEga2V5\"\n").expect("write");
    let args = CommonArgs { config: Some(file.clone()), ..Default::default() };
    let err = Config::resolve(&args).expect_err("a key that is not 32 bytes is refused");
    assert!(format!("{err:#}").contains("--telnyx-public-key"), "{err:#}");
    std::fs::write(&file, "[inbound]\nstripe_secret = \"x\"\n").expect("write");
    let args = CommonArgs { config: Some(file), ..Default::default() };
    assert!(Config::resolve(&args).is_err(), "unknown keys in [inbound] are refused");
}

#[test]
fn trusted_proxies_come_from_flags_or_toml_and_bad_ones_stop_start_up() {
    let args = CommonArgs { trusted_proxies: Some("10.0.0.0/8, 192.0.2.7".into()), ..Default::default() };
    let config = Config::resolve(&args).expect("resolves");
    assert!(config.trusted_proxies.contains("192.0.2.7".parse().expect("ip")));
    let (_dir, args) = from_file("trusted_proxies = \"10.1.2.3\"\n");
    assert!(Config::resolve(&args).expect("resolves").trusted_proxies.contains("10.1.2.3".parse().expect("ip")));
    let args = CommonArgs { trusted_proxies: Some("lb.internal".into()), ..Default::default() };
    let err = Config::resolve(&args).expect_err("refused");
    assert!(format!("{err:#}").contains("--trusted-proxies"), "{err:#}");
}

#[test]
fn unknown_toml_keys_and_bad_public_urls_are_refused() {
    for bad in ["lisen = \"127.0.0.1:9000\"\n", "config = \"other.toml\"\n", "[webhooks]\ntimout = \"5s\"\n"] {
        let (_dir, args) = from_file(bad);
        assert!(Config::resolve(&args).is_err(), "{bad}");
    }
    let args = CommonArgs { public_url: Some("ftp://x".into()), ..Default::default() };
    assert!(Config::resolve(&args).is_err());
}

#[test]
fn storage_is_local_by_default_and_s3_needs_a_bucket() {
    let s3 = |storage: StorageArgs| Config::resolve(&CommonArgs { storage, ..Default::default() });
    let err = s3(StorageArgs { backend: Some(StorageBackend::S3), ..Default::default() }).expect_err("no bucket");
    assert!(format!("{err:#}").contains("--s3-bucket"), "{err:#}");
    let err = s3(StorageArgs { s3_bucket: Some("b".into()), ..Default::default() }).expect_err("not s3");
    assert!(format!("{err:#}").contains("--storage s3"), "{err:#}");
    let half = StorageArgs {
        backend: Some(StorageBackend::S3),
        s3_bucket: Some("b".into()),
        s3_access_key_id: Some("AKIA".into()),
        ..Default::default()
    };
    assert!(s3(half).is_err(), "a key ID without its secret");

    let config = s3(StorageArgs {
        backend: Some(StorageBackend::S3),
        s3_bucket: Some("sb-files".into()),
        s3_endpoint: Some("http://127.0.0.1:9000".into()),
        s3_access_key_id: Some("AKIA".into()),
        s3_secret_access_key: Some("s3-very-secret".into()),
        s3_path_style: Some(true),
        ..Default::default()
    })
    .expect("resolves");
    let StorageConfig::S3(s3_config) = &config.storage else { panic!("{:?}", config.storage) };
    assert_eq!(s3_config.bucket, "sb-files");
    assert_eq!(s3_config.region, "us-east-1");
    assert!(s3_config.path_style);
    let printed = format!("{config:?}");
    assert!(!printed.contains("s3-very-secret") && printed.contains("sb-files"), "{printed}");
}

#[test]
fn storage_settings_come_from_a_toml_table_too() {
    let (_dir, mut args) =
        from_file("[storage]\nbackend = \"s3\"\ns3_bucket = \"from-toml\"\ns3_region = \"eu-west-1\"\n");
    let StorageConfig::S3(s3) = Config::resolve(&args).expect("resolves").storage else { panic!("not s3") };
    assert_eq!((s3.bucket.as_str(), s3.region.as_str()), ("from-toml", "eu-west-1"));
    args.storage.s3_bucket = Some("from-flag".into());
    let StorageConfig::S3(s3) = Config::resolve(&args).expect("resolves").storage else { panic!("not s3") };
    assert_eq!((s3.bucket.as_str(), s3.region.as_str()), ("from-flag", "eu-west-1"));
}

#[test]
fn every_flag_parses_and_no_two_share_an_id() {
    // clap's debug assertions catch duplicate argument IDs across the
    // flattened groups; this runs them.
    use clap::CommandFactory;
    Cli::command().debug_assert();
}

#[test]
fn the_readme_example_file_resolves() {
    let readme = include_str!("../../../../README.md");
    let start = readme.find("Example `switchboard.toml`:").expect("the README has an example file");
    let block = &readme[start..];
    let body_start = block.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let body = &block[body_start..];
    let body = &body[..body.find("```").expect("the block ends")];
    let (_dir, args) = from_file(body);
    let config = Config::resolve(&args).expect("the README's example resolves");
    assert!(matches!(config.storage, StorageConfig::S3(_)));
    assert_eq!(config.rate_limits.api.map(|l| l.requests), Some(1200));
}

#[test]
fn the_metrics_table_sets_the_second_listener_and_the_token() {
    let (_dir, args) = from_file("[metrics]\nlisten = \"127.0.0.1:9464\"\ntoken = \"from-the-file-0123456789\"\n");
    let config = Config::resolve(&args).expect("resolves");
    assert_eq!(config.metrics.listen, Some("127.0.0.1:9464".parse().expect("addr")));
    assert!(config.metrics.token.is_some());
    assert!(!format!("{config:?}").contains("from-the-file"), "Debug hides the token");
}

#[test]
fn the_carrier_is_the_sandbox_by_default_and_twilio_or_telnyx_need_their_settings() {
    use super::PlatformCarrier;
    let config = Config::resolve(&CommonArgs::default()).expect("defaults resolve");
    assert_eq!(config.carrier.platform, PlatformCarrier::Sandbox);
    assert_eq!(config.carrier.telnyx_api_base, "https://api.telnyx.com/v2");

    let refused = |carrier: CarrierArgs| {
        let args = CommonArgs { carrier, ..Default::default() };
        format!("{:#}", Config::resolve(&args).expect_err("refused"))
    };
    let twilio = CarrierArgs { carrier: Some("twilio".into()), ..Default::default() };
    assert!(refused(twilio).contains("--twilio-account-sid"));
    let telnyx = CarrierArgs { carrier: Some("telnyx".into()), ..Default::default() };
    assert!(refused(telnyx.clone()).contains("--telnyx-api-key"));
    let keyed = CarrierArgs { telnyx_api_key: Some("KEY_secret_value".into()), ..telnyx };
    assert!(refused(keyed.clone()).contains("--telnyx-connection-id"));
    let connected = CarrierArgs { telnyx_connection_id: Some("1293384261075731499".into()), ..keyed };
    assert!(
        refused(CarrierArgs { telnyx_api_base: Some("ftp://x".into()), ..connected }).contains("--telnyx-api-base")
    );
    assert!(
        refused(CarrierArgs { carrier: Some("vonage".into()), ..Default::default() })
            .contains("sandbox, twilio or telnyx")
    );

    // From the TOML table; the key never shows in Debug.
    let (_dir, args) = from_file(
        "[carrier]\ncarrier = \"telnyx\"\ntelnyx_api_key = \"KEY_secret_value\"\n\
         telnyx_connection_id = \"1293384261075731499\"\ntelnyx_api_base = \"http://127.0.0.1:4010/\"\n",
    );
    let config = Config::resolve(&args).expect("resolves");
    let PlatformCarrier::Telnyx { api_key, connection_id } = &config.carrier.platform else { panic!("telnyx") };
    assert_eq!((api_key.expose().as_str(), connection_id.as_str()), ("KEY_secret_value", "1293384261075731499"));
    assert_eq!(config.carrier.telnyx_api_base, "http://127.0.0.1:4010");
    assert!(!format!("{config:?}").contains("KEY_secret_value"));
}
