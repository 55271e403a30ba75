"""Every named route of the core, in one place (API under /api/v1, pages at the root)."""

API = "/api/v1"


def includeme(config):
    add = config.add_route
    # accounts
    add("api.auth.login", API + "/auth/login")
    add("api.auth.token", API + "/auth/token")
    add("api.me", API + "/me")
    add("api.me.password", API + "/me/password")
    add("api.organizations.register", API + "/organizations/register")
    add("api.organizations", API + "/organizations")
    add("api.organization", API + "/organizations/{org_id}")
    add("api.users", API + "/users")
    # methods and the contract
    add("api.methods", API + "/methods")
    add("api.openapi", API + "/openapi.json")
    add("api.ping", API + "/ping")
    # audit trail
    add("api.audit", API + "/audit")
    add("api.audit.verify", API + "/audit/verify")
    # projects (API.md "Projects")
    add("api.projects", API + "/projects")
    add("api.project", API + "/projects/{project_id}")
    add("api.project.publish", API + "/projects/{project_id}/publish")
    add("api.project.amendments", API + "/projects/{project_id}/amendments")
    add("api.project.terminate", API + "/projects/{project_id}/terminate")
    # registration and deposits
    add("api.project.registrations", API + "/projects/{project_id}/registrations")
    add("api.deposits.notify", API + "/deposits/notify")
    # documents and questions
    add("api.project.documents", API + "/projects/{project_id}/documents")
    add("api.document.content", API + "/documents/{doc_id}/content")
    add("api.project.questions", API + "/projects/{project_id}/questions")
    add("api.question.answer", API + "/questions/{question_id}/answer")
    # sealed bids and opening
    add("api.lot.bids", API + "/projects/{project_id}/lots/{lot_id}/bids")
    add("api.bid", API + "/bids/{bid_id}")
    add("api.bid.receipt", API + "/bids/{bid_id}/receipt.pdf")
    add("api.bid.decrypt", API + "/bids/{bid_id}/decrypt")
    add("api.project.opening", API + "/projects/{project_id}/opening")
    add("api.project.opening.close", API + "/projects/{project_id}/opening/close")
    add("api.project.opening.record", API + "/projects/{project_id}/opening/record.pdf")
    # evaluation, final quotes, publicity, objections, award, contract
    lot = API + "/projects/{project_id}/lots/{lot_id}"
    add("api.lot.evaluation", lot + "/evaluation")
    add("api.lot.evaluation.qualification", lot + "/evaluation/qualification")
    add("api.lot.evaluation.scores", lot + "/evaluation/scores")
    add("api.lot.evaluation.sign", lot + "/evaluation/sign")
    add("api.lot.evaluation.finalize", lot + "/evaluation/finalize")
    add("api.lot.evaluation.report", lot + "/evaluation/report.pdf")
    add("api.lot.final_quotes.round", lot + "/final-quotes/round")
    add("api.lot.final_quotes", lot + "/final-quotes")
    add("api.lot.publicity", lot + "/publicity")
    add("api.lot.objections", lot + "/objections")
    add("api.objection.answer", API + "/objections/{objection_id}/answer")
    add("api.lot.award", lot + "/award")
    add("api.lot.award.notice", lot + "/award/notice.pdf")
    add("api.lot.contract", lot + "/contract")
    add("api.verify", API + "/verify/{code}")
    # auctions
    add("api.lot.quotes", lot + "/quotes")
    add("api.lot.auction", lot + "/auction")
    add("api.lot.auction.bids", lot + "/auction/bids")
    # working days and policies
    add("api.calendar", API + "/calendar")
    add("api.calendar.day", API + "/calendar/days/{day}")
    add("api.calendar.year", API + "/calendar/years/{year}")
    add("api.policies", API + "/policies")
    add("api.policy", API + "/policies/{policy_id}")
    # the manual clock (only routed when ggzy.clock = manual)
    if config.get_settings()["ggzy.clock"] == "manual":
        add("api.testing.clock", API + "/testing/clock")

    # pages
    add("home", "/")
    add("login", "/login")
    add("logout", "/logout")
    add("language", "/language/{locale}")
    add("methods", "/methods")
    add("heartbeat", "/__heartbeat__")
    add("verify", "/verify/{code}")
    # public pages
    add("projects.list", "/projects")
    add("projects.detail", "/projects/{project_id}")
    add("projects.opening", "/projects/{project_id}/opening")
    add("policies.list", "/policies")
    add("policies.detail", "/policies/{policy_id}")
    # officer pages
    add("officer.home", "/officer")
    add("officer.project_new", "/officer/projects/new")
    add("officer.project", "/officer/projects/{project_id}")
    add("officer.project_edit", "/officer/projects/{project_id}/edit")
    add("officer.opening", "/officer/projects/{project_id}/opening")
    # administrator pages
    add("admin.home", "/admin")
    add("admin.calendar", "/admin/calendar")
    add("admin.users", "/admin/users")
    # bidder pages
    add("register_org", "/register")
    add("bidder.home", "/bidder")
    add("bidder.project", "/bidder/projects/{project_id}")
    add("bidder.bid", "/bidder/bids/{bid_id}")
    # evaluation and award pages
    add("expert.evaluations", "/expert/evaluations")
    add("expert.evaluation", "/expert/evaluations/{project_id}/{lot_id}")
    add("officer.evaluation", "/officer/projects/{project_id}/lots/{lot_id}/evaluation")
    add("bidder.results", "/bidder/projects/{project_id}/results")
    add("projects.results", "/projects/{project_id}/results")
    # auction room pages
    add("auction.room", "/auction/{project_id}/{lot_id}")
