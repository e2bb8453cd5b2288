//! A demonstration aid: lets a demo case's defence window run out now instead of in ten days,
//! so a person trying the session flow on the demo data can sit on the case the same day.
//! The gateway refuses it outside the dev profile.

use shahr_store::StoreError;

use crate::UrbanismDb;

/// How far back the summons' service is moved: past any defence window.
const DAYS_BACK: i32 = 30;

impl UrbanismDb {
    /// Moves `case_id`'s latest hearing to today and the service of its summonses 30 days back;
    /// false when the case has no hearing scheduled through the gateway.
    #[tracing::instrument(name = "urbanism.skip_defence_wait", skip_all, fields(otel.kind = "client", db.system = "postgresql"))]
    pub async fn skip_defence_wait(&self, case_id: i32) -> Result<bool, StoreError> {
        let mut client = self.pool().get().await?;
        let tx = client.transaction().await?;
        let moved = tx
            .execute(
                "UPDATE shahr.hearings SET session_on = (now() AT TIME ZONE 'Asia/Tehran')::date, \
                 scheduled_at = scheduled_at - make_interval(days => $2::int) \
                 WHERE id = (SELECT max(id) FROM shahr.hearings WHERE case_id = $1)",
                &[&case_id, &DAYS_BACK],
            )
            .await?;
        if moved == 0 {
            return Ok(false);
        }
        tx.execute(
            "UPDATE shahr.services SET served_on = served_on - $2::int, \
             served_at = served_at - make_interval(days => $2::int) \
             WHERE document = 'SUMMONS' AND case_id = $1",
            &[&case_id, &DAYS_BACK],
        )
        .await?;
        let today = shahr_domain::jalali::JalaliDate::from_gregorian(
            shahr_domain::jalali::tehran_today(chrono::Utc::now()),
        )
        .to_string();
        tx.execute(
            "UPDATE tbl_parvandeh_takhalof SET tarikh_jalaseh = $2 WHERE id_takhalof = $1",
            &[&case_id, &today],
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
