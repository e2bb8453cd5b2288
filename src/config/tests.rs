//! Loading and checking the configuration.
#![allow(clippy::result_large_err)] // figment's Jail closures return figment::Error

use super::*;
use figment::Jail;

#[test]
fn defaults_apply_when_nothing_is_set() {
    Jail::expect_with(|_jail| {
        let config = Config::load(None).expect("defaults load");
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.profile, Profile::Dev);
        assert!(config.urbanism_database_url.is_none());
        Ok(())
    });
}

#[test]
fn environment_overrides_the_file_which_overrides_defaults() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "shahr.toml",
            r#"
            listen = "127.0.0.1:9000"
            db_pool_size = 4
            db_checkout_timeout = "750ms"
            "#,
        )?;
        jail.set_env("SHAHR_DB_POOL_SIZE", "7");
        let config = Config::load(Some(std::path::Path::new("shahr.toml"))).expect("loads");
        assert_eq!(config.listen.port(), 9000, "file beats default");
        assert_eq!(config.db_pool_size, 7, "environment beats file");
        assert_eq!(config.db_checkout_timeout, Duration::from_millis(750));
        assert_eq!(
            config.db_statement_timeout,
            Duration::from_secs(5),
            "default kept"
        );
        Ok(())
    });
}

#[test]
fn a_bad_value_names_the_key_and_the_fix() {
    Jail::expect_with(|jail| {
        jail.set_env("SHAHR_DB_POOL_SIZE", "lots");
        let err = Config::load(None).expect_err("must fail").to_string();
        assert!(err.contains("db_pool_size"), "{err}");
        assert!(err.contains("SHAHR_DB_POOL_SIZE"), "{err}");
        assert!(!err.contains('\n'), "one line: {err}");
        Ok(())
    });
}

#[test]
fn a_duration_without_unit_is_refused_with_an_example() {
    Jail::expect_with(|jail| {
        jail.set_env("SHAHR_DB_STATEMENT_TIMEOUT", "5");
        let err = Config::load(None).expect_err("must fail").to_string();
        assert!(err.contains("db_statement_timeout"), "{err}");
        assert!(err.contains("\"5s\""), "{err}");
        Ok(())
    });
}

#[test]
fn an_unknown_key_is_refused() {
    Jail::expect_with(|jail| {
        jail.set_env("SHAHR_LISTNE", "127.0.0.1:1");
        let err = Config::load(None).expect_err("must fail").to_string();
        assert!(err.contains("listne"), "{err}");
        Ok(())
    });
}

#[test]
fn article_100_settings_are_read_and_bad_ones_name_their_key() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "rules.toml",
            "exclude_day_of_act = false\nmax_demolition_days = 62\nruling_number_template = \"{district}-{yyyy}-{seq:5}\"\n[fines]\nnote2 = { min = 60, max = 250 }\n",
        )?;
        let config = Config::load(Some(std::path::Path::new("rules.toml"))).expect("loads");
        let rules = config.article100_rules().expect("rules");
        assert_eq!(rules.fines.note2.min, 60);
        assert!(!rules.counting.exclude_day_of_act);
        assert_eq!(rules.max_demolition_days, 62);
        assert_eq!(
            rules.fines.note3,
            shahr_domain::fines::FineRules::default().note3
        );
        let day = shahr_domain::jalali::JalaliDate::parse("1405/09/07").expect("date");
        assert_eq!(rules.ruling_number.render(9, day, 7), "9-1405-00007");

        jail.create_file("old.toml", "holidays = [\"1405/01/01\"]\n")?;
        let err = Config::load(Some(std::path::Path::new("old.toml")))
            .expect_err("holidays are data now")
            .to_string();
        assert!(err.contains("holidays"), "{err}");
        jail.create_file("bad.toml", "[fines]\nnote2 = { min = 300, max = 50 }\n")?;
        let err = Config::load(Some(std::path::Path::new("bad.toml")))
            .expect_err("must fail")
            .to_string();
        assert!(err.contains("fines.note2"), "{err}");
        jail.set_env("SHAHR_RULING_NUMBER_TEMPLATE", "{district}/{yy}");
        let err = Config::load(None).expect_err("must fail").to_string();
        assert!(
            err.contains("ruling_number_template") && err.contains("seq"),
            "{err}"
        );
        Ok(())
    });
}

#[test]
fn prod_refuses_the_dev_secret_and_requires_identity_provider_keys() {
    Jail::expect_with(|jail| {
        jail.set_env("SHAHR_PROFILE", "prod");
        jail.set_env("SHAHR_URBANISM_DATABASE_URL", "postgres://a@h/u");
        jail.set_env("SHAHR_CITIZEN_DATABASE_URL", "postgres://a@h/c");
        let err = Config::load(None).expect_err("must fail").to_string();
        assert!(err.contains("jwt_jwks_url"), "{err}");
        jail.set_env("SHAHR_JWT_JWKS_FILE", "/etc/shahr/jwks.json");
        let err = Config::load(None).expect_err("must fail").to_string();
        assert!(err.contains("signing_key"), "{err}");
        jail.set_env(
            "SHAHR_SIGNING_KEY",
            "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
        );
        jail.set_env("SHAHR_JWT_DEV_SECRET", "x");
        let err = Config::load(None).expect_err("must fail").to_string();
        assert!(err.contains("jwt_dev_secret"), "{err}");
        Ok(())
    });
}

#[test]
fn prod_refuses_the_published_development_signing_seed() {
    Jail::expect_with(|jail| {
        jail.set_env("SHAHR_PROFILE", "prod");
        jail.set_env("SHAHR_URBANISM_DATABASE_URL", "postgres://a@h/u");
        jail.set_env("SHAHR_CITIZEN_DATABASE_URL", "postgres://a@h/c");
        jail.set_env("SHAHR_JWT_JWKS_FILE", "/etc/shahr/jwks.json");
        jail.set_env("SHAHR_SIGNING_KEY", DEFAULT_DEV_SIGNING_KEY);
        let err = Config::load(None).expect_err("must fail").to_string();
        assert!(
            err.contains("signing_key") && err.contains("development"),
            "{err}"
        );
        Ok(())
    });
}

#[test]
fn prod_serves_metrics_only_apart_or_behind_a_token() {
    Jail::expect_with(|jail| {
        jail.set_env("SHAHR_PROFILE", "prod");
        jail.set_env("SHAHR_URBANISM_DATABASE_URL", "postgres://a@h/u");
        jail.set_env("SHAHR_CITIZEN_DATABASE_URL", "postgres://a@h/c");
        jail.set_env("SHAHR_JWT_JWKS_FILE", "/etc/shahr/jwks.json");
        jail.set_env(
            "SHAHR_SIGNING_KEY",
            "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
        );
        let err = Config::load(None).expect_err("must fail").to_string();
        assert!(err.contains("metrics_token"), "{err}");
        jail.set_env("SHAHR_METRICS_TOKEN", " ");
        let err = Config::load(None).expect_err("must fail").to_string();
        assert!(err.contains("metrics_token"), "{err}");
        jail.set_env("SHAHR_METRICS_TOKEN", "scrape");
        Config::load(None).expect("behind a token");
        jail.set_env("SHAHR_METRICS_LISTEN", "10.0.0.5:9090");
        Config::load(None).expect("apart");
        jail.set_env("SHAHR_METRICS_OPERATIONS", "[\"RulingList\", \"1bad\"]");
        let err = Config::load(None).expect_err("must fail").to_string();
        assert!(
            err.contains("metrics_operations") && err.contains("1bad"),
            "{err}"
        );
        Ok(())
    });
}

#[test]
fn the_dev_profile_stays_on_loopback_unless_allowed_on_the_network() {
    Jail::expect_with(|jail| {
        jail.set_env("SHAHR_LISTEN", "0.0.0.0:8080");
        let err = Config::load(None).expect_err("must fail").to_string();
        assert!(
            err.contains("listen") && err.contains("allow_dev_on_network"),
            "{err}"
        );
        jail.set_env("SHAHR_ALLOW_DEV_ON_NETWORK", "true");
        Config::load(None).expect("allowed explicitly");
        jail.set_env("SHAHR_ALLOW_DEV_ON_NETWORK", "false");
        jail.set_env("SHAHR_LISTEN", "[::1]:8080");
        Config::load(None).expect("loopback");
        Ok(())
    });
}

#[test]
fn a_table_key_is_set_from_the_environment_with_a_double_underscore() {
    Jail::expect_with(|jail| {
        jail.set_env("SHAHR_RATE_LIMITS__VIEWER_PER_MINUTE", "5000");
        let config = Config::load(None).expect("loads");
        assert_eq!(config.rate_limits.viewer_per_minute, 5000);
        assert_eq!(
            config.rate_limits.anonymous_per_minute, 120,
            "the rest keep defaults"
        );
        jail.set_env("SHAHR_RATE_LIMITS__COST_PER_MINUTE", "10");
        let err = Config::load(None)
            .expect_err("below max_complexity")
            .to_string();
        assert!(err.contains("SHAHR_RATE_LIMITS__COST_PER_MINUTE"), "{err}");
        Ok(())
    });
}

#[test]
fn secrets_never_appear_in_debug_output() {
    Jail::expect_with(|jail| {
        jail.set_env("SHAHR_URBANISM_DATABASE_URL", "postgres://app:hunter2@db/u");
        jail.set_env("SHAHR_CITIZEN_DATABASE_URL", "postgres://app:hunter2@db/c");
        jail.set_env("SHAHR_JWT_DEV_SECRET", "topsecret");
        let config = Config::load(None).expect("loads");
        let debug = format!("{config:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(!debug.contains("topsecret"), "{debug}");
        Ok(())
    });
}

#[test]
fn the_deployment_samples_load() {
    Jail::expect_with(|jail| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/config");
        let dev = Config::load(Some(&dir.join("dev.toml"))).expect("dev sample loads");
        assert_eq!(dev.profile, Profile::Dev);
        jail.set_env("SHAHR_URBANISM_DATABASE_URL", "postgres://a:pw@db/u");
        jail.set_env("SHAHR_CITIZEN_DATABASE_URL", "postgres://a:pw@db/c");
        jail.set_env(
            "SHAHR_SIGNING_KEY",
            "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
        );
        let prod = Config::load(Some(&dir.join("prod.toml"))).expect("prod sample loads");
        assert_eq!(prod.profile, Profile::Prod);
        assert_eq!(prod.db_checkout_timeout, Duration::from_secs(2));
        Ok(())
    });
}
