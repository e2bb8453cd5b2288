//! What the gateway builds from its configuration: the Article 100 rules, office hours,
//! clients' settings, the signing keyring and document links.

use std::path::PathBuf;

use super::{
    Config, ConfigError, Profile, Secret, DEFAULT_DEV_JWT_SECRET, DEFAULT_DEV_SIGNING_KEY,
};

impl Config {
    /// How many replays may read the outbox at once (`max_concurrent_replays`, or a quarter
    /// of the pool).
    pub fn replay_share(&self) -> usize {
        match self.max_concurrent_replays {
            0 => (self.db_pool_size / 4).max(1),
            n => n,
        }
    }

    /// The Article 100 settings: windows and counting, number template and fine ranges.
    pub fn article100_rules(&self) -> Result<shahr_domain::session::Article100Rules, ConfigError> {
        let ruling_number = shahr_domain::numbering::NumberTemplate::parse(
            &self.ruling_number_template,
        )
        .map_err(|e| {
            ConfigError(format!(
                "`ruling_number_template` (SHAHR_RULING_NUMBER_TEMPLATE): {e}"
            ))
        })?;
        self.fines.validate().map_err(ConfigError)?;
        if self.max_demolition_days == 0 {
            return Err(ConfigError(
                "`max_demolition_days` must be at least 1 (the law allows at most two months)"
                    .into(),
            ));
        }
        if self.objection_window_days == 0 || self.defence_window_days == 0 {
            return Err(ConfigError(
                "`objection_window_days` and `defence_window_days` must be at least 1".into(),
            ));
        }
        if self.fine_instalments == 0 || self.fine_instalment_min_rials <= 0 {
            return Err(ConfigError(
                "`fine_instalments` must be at least 1 and `fine_instalment_min_rials` positive"
                    .into(),
            ));
        }
        let fine_instalments = shahr_domain::enforcement::InstalmentPlan {
            count: self.fine_instalments,
            min: shahr_domain::money::Rials::new(self.fine_instalment_min_rials)
                .map_err(|e| ConfigError(format!("`fine_instalment_min_rials`: {e}")))?,
        };
        Ok(shahr_domain::session::Article100Rules {
            fines: self.fines.clone(),
            defence_window_days: self.defence_window_days,
            objection_window_days: self.objection_window_days,
            counting: shahr_domain::deadlines::Counting {
                exclude_day_of_act: self.exclude_day_of_act,
            },
            max_demolition_days: self.max_demolition_days,
            municipality_served_at_issue: self.municipality_served_at_issue,
            ruling_number,
            fine_instalments,
        })
    }

    /// The offices' working hours.
    pub fn office_hours(&self) -> Result<shahr_domain::office::OfficeHours, ConfigError> {
        shahr_domain::office::OfficeHours::new(&self.office_hours, &self.office_days).map_err(|e| {
            ConfigError(format!(
                "`office_hours` / `office_days` (SHAHR_OFFICE_HOURS, SHAHR_OFFICE_DAYS): {e}"
            ))
        })
    }

    /// The dadnameh's letterhead: the configured name, and the emblem file read and checked now.
    pub fn letterhead(&self) -> Result<crate::documents::letterhead::Letterhead, ConfigError> {
        use crate::documents::letterhead::Letterhead;
        let name = self.municipality_name.trim();
        if name.is_empty() {
            return Err(ConfigError(
                "`municipality_name` (SHAHR_MUNICIPALITY_NAME) is empty; it heads every dadnameh"
                    .into(),
            ));
        }
        match &self.emblem_path {
            None => Ok(Letterhead::neutral(name)),
            Some(path) => Letterhead::with_emblem_file(name, path).map_err(|e| {
                ConfigError(format!(
                    "`emblem_path` (SHAHR_EMBLEM_PATH) {}: {e}",
                    path.display()
                ))
            }),
        }
    }

    /// The payment gateway's settings, when one is configured.
    pub fn payment_settings(&self) -> Option<shahr_payment::BehpardakhtSettings> {
        self.payment_base_url
            .as_ref()
            .map(|url| shahr_payment::BehpardakhtSettings {
                base_url: url.clone(),
                terminal_id: self.payment_terminal_id,
                user_name: self.payment_user_name.clone(),
                password: self
                    .payment_password
                    .as_ref()
                    .map(|p| p.expose().to_owned())
                    .unwrap_or_default(),
                timeout: self.payment_timeout,
                attempts: self.payment_attempts.max(1),
            })
    }

    /// The Chromium binary for PDFs, if there is one.
    pub fn chromium(&self) -> Option<PathBuf> {
        match &self.chromium_path {
            Some(path) => Some(path.clone()),
            None => ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
                .iter()
                .map(PathBuf::from)
                .find(|p| p.exists()),
        }
    }

    /// The notification providers and how hard to try.
    pub fn notify_settings(&self) -> shahr_notify::Settings {
        let endpoint = |url: &Option<String>, token: &Option<Secret>| {
            url.as_ref().map(|u| shahr_notify::Endpoint {
                base_url: u.clone(),
                token: token
                    .as_ref()
                    .map(|t| t.expose().to_owned())
                    .unwrap_or_default(),
            })
        };
        shahr_notify::Settings {
            sms: endpoint(&self.sms_base_url, &self.sms_token),
            e_notice: endpoint(&self.e_notice_base_url, &self.e_notice_token),
            timeout: self.notify_timeout,
            max_attempts: self.notify_max_attempts.max(1),
            backoff: self.notify_backoff,
            receipt_poll: self.e_notice_receipt_poll,
        }
    }

    /// The public address documents link to, without a trailing slash, when the server
    /// listens on `port` (the configured one, or the port the system chose for `:0`).
    pub fn public_base_url_on(&self, port: u16) -> String {
        self.public_base_url
            .as_deref()
            .map(|u| u.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("http://{}:{port}", self.listen.ip()))
    }

    /// The signer of document links. Its key is derived from the ruling signing key, so a
    /// key rotation also retires old links.
    pub fn document_links(&self) -> Result<crate::documents::links::LinkSigner, ConfigError> {
        use sha2::Digest;
        let seed = match (&self.signing_key, self.profile) {
            (Some(key), _) => key.expose().to_owned(),
            (None, Profile::Dev) => DEFAULT_DEV_SIGNING_KEY.to_owned(),
            (None, Profile::Prod) => {
                return Err(ConfigError(
                    "`signing_key` (SHAHR_SIGNING_KEY) is required with profile prod".into(),
                ))
            }
        };
        let key = sha2::Sha256::new()
            .chain_update(b"shahr-gateway document links\n")
            .chain_update(seed.as_bytes())
            .finalize();
        Ok(crate::documents::links::LinkSigner::new(
            &key,
            self.document_link_ttl,
        ))
    }

    /// The ruling signing keyring: the configured key, or the built-in one in dev.
    pub fn keyring(&self) -> Result<shahr_domain::signing::Keyring, ConfigError> {
        let seed = match (&self.signing_key, self.profile) {
            (Some(key), _) => key.expose().to_owned(),
            (None, Profile::Dev) => DEFAULT_DEV_SIGNING_KEY.to_owned(),
            (None, Profile::Prod) => {
                return Err(ConfigError(
                    "`signing_key` (SHAHR_SIGNING_KEY) is required with profile prod".into(),
                ))
            }
        };
        let retired: Vec<(&str, &str)> = self
            .retired_signing_keys
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        shahr_domain::signing::Keyring::new((&self.signing_key_id, &seed), &retired)
            .map_err(|e| ConfigError(format!("`signing_key` (SHAHR_SIGNING_KEY): {e}")))
    }

    /// The HS256 secret for development tokens, when the profile allows them.
    pub fn dev_jwt_secret(&self) -> Option<Secret> {
        match self.profile {
            Profile::Dev => Some(
                self.jwt_dev_secret
                    .clone()
                    .unwrap_or_else(|| Secret::new(DEFAULT_DEV_JWT_SECRET)),
            ),
            Profile::Prod => None,
        }
    }
}
