//! Settings → Phone Numbers (Admins): the numbers table with its search and
//! filters ([`list`]), the Buy flow ([`buy`]) and a number's page
//! ([`number`]). Forms redirect with a toast; a refused form is shown
//! again with its messages by the fields.
mod buy;
mod list;
mod number;
mod views;

use crate::routes::{Access, Routes};

pub const NUMBERS: &str = "/settings/phone-numbers";
pub const BUY: &str = "/settings/phone-numbers/buy";

pub fn routes(r: &mut Routes) {
    r.pages(Access::Admin)
        .get(NUMBERS, list::numbers_page)
        .get(BUY, buy::buy_page)
        .get("/settings/phone-numbers/buy/confirm", buy::confirm_page)
        .post(BUY, buy::buy_number)
        .get("/settings/phone-numbers/{id}", number::number_page)
        .post("/settings/phone-numbers/{id}", number::rename_number)
        .post("/settings/phone-numbers/{id}/assignments", number::assign_number)
        .post("/settings/phone-numbers/{id}/outbound", number::set_outbound)
        .get("/settings/phone-numbers/{id}/release", number::release_page)
        .post("/settings/phone-numbers/{id}/release", number::release_number);
}
