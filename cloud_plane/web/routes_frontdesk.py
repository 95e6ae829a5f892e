"""Routes of the front-desk day (叫號, 退掛/改掛, booking check-in, 日結) and of the public pages
(online booking under /book, the waiting-room screen under /display), kept in one list so
:func:`cloud_plane.web.app._routes` stays short."""

from __future__ import annotations

from aiohttp import web

from cloud_plane.web.views import booking, calling, closeout, desk_bookings, display


def frontdesk_routes() -> list[web.RouteDef]:
    return [
        # staff
        web.get("/desk/calling", calling.show_calling, name="calling"),
        web.get("/desk/calling/panel", calling.calling_fragment, name="calling_panel"),
        web.post("/desk/calling", calling.do_call_next, name="calling_next"),
        web.post("/visits/{visit_id}/call", calling.do_call_visit, name="visit_call"),
        web.post("/visits/{visit_id}/cancel", calling.do_cancel, name="visit_cancel"),
        web.get("/visits/{visit_id}/reregister", calling.show_reregister, name="reregister"),
        web.post("/visits/{visit_id}/reregister", calling.do_reregister, name="reregister_post"),
        web.get("/desk/bookings", desk_bookings.show_bookings, name="desk_bookings"),
        web.post("/desk/bookings/{booking_id}/checkin", desk_bookings.do_check_in, name="checkin"),
        web.get("/closeout", closeout.show_closeout, name="closeout"),
        web.post("/closeout", closeout.do_closeout, name="closeout_post"),
        web.get("/closeout/{day}/report", closeout.show_report, name="closeout_report"),
        # public: waiting-room screen
        web.get("/display/{slug}", display.show_display, name="display"),
        web.get("/display/{slug}/board", display.board_fragment, name="display_board"),
        web.get("/display/{slug}/events", display.display_events, name="display_events"),
        # public: online booking
        web.get("/book", booking.show_index, name="book_index"),
        web.get("/book/{slug}", booking.show_clinic, name="book_clinic"),
        web.post("/book/{slug}/code", booking.do_request_code, name="book_code"),
        web.post("/book/{slug}/verify", booking.do_verify, name="book_verify"),
        web.post("/book/{slug}/bookings", booking.do_book, name="book_post"),
        web.get("/book/{slug}/mine", booking.show_mine, name="book_mine"),
        web.post(
            "/book/{slug}/bookings/{booking_id}/cancel", booking.do_cancel, name="book_cancel"
        ),
    ]
