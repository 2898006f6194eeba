from django.contrib.auth import views as auth_views
from django.urls import path

from .views import answer_templates, case_work, cases, curator, executor, head, inbox

app_name = "web"

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="web/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", head.home, name="home"),
    path("dashboard/", head.dashboard, name="dashboard"),
    # curator
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/new/", curator.message_new, name="message_new"),
    path("inbox/fresh/", inbox.inbox_fresh, name="inbox_fresh"),
    path("inbox/bulk/", inbox.inbox_bulk, name="inbox_bulk"),
    path("inbox/dismissed/", inbox.dismissed_list, name="inbox_dismissed"),
    path("inbox/<int:message_id>/presence/", curator.message_presence, name="message_presence"),
    path("inbox/<int:message_id>/undismiss/", inbox.message_undismiss, name="message_undismiss"),
    path("inbox/<int:message_id>/", curator.message_detail, name="message"),
    path("inbox/<int:message_id>/detect/", curator.message_detect, name="message_detect"),
    path("inbox/<int:message_id>/refuse/", curator.message_refuse, name="message_refuse"),
    path("inbox/<int:message_id>/attach/", curator.message_attach, name="message_attach"),
    path("inbox/<int:message_id>/dismiss/", curator.message_dismiss, name="message_dismiss"),
    path("review/", curator.review_queue, name="review"),
    path("board/", curator.board, name="board"),
    # executors
    path("my/", executor.my_cases, name="my_cases"),
    # the case page and its actions
    path("cases/<int:case_id>/", cases.case_detail, name="case"),
    path("cases/<int:case_id>/triage/", cases.case_triage, name="case_triage"),
    path("cases/<int:case_id>/route/", cases.case_route, name="case_route"),
    path("cases/<int:case_id>/refuse/", cases.case_refuse, name="case_refuse"),
    path("cases/<int:case_id>/approve/", cases.case_approve, name="case_approve"),
    path("cases/<int:case_id>/return-draft/", cases.case_return_draft, name="case_return_draft"),
    path("cases/<int:case_id>/accept/", case_work.case_accept, name="case_accept"),
    path("cases/<int:case_id>/return/", case_work.case_return, name="case_return"),
    path("cases/<int:case_id>/contribute/", case_work.case_contribute, name="case_contribute"),
    path("cases/<int:case_id>/draft/", case_work.case_submit_draft, name="case_draft"),
    path("cases/<int:case_id>/resubmit/", case_work.case_resubmit, name="case_resubmit"),
    path("cases/<int:case_id>/publish/", case_work.case_publish, name="case_publish"),
    path(
        "cases/<int:case_id>/publications/<int:publication_id>/retry/",
        case_work.publication_retry,
        name="publication_retry",
    ),
    path("cases/<int:case_id>/upload/", case_work.case_upload, name="case_upload"),
    path("cases/<int:case_id>/autosave/", case_work.case_autosave, name="case_autosave"),
    path("cases/<int:case_id>/use-template/", case_work.case_use_template, name="case_use_template"),
    path(
        "cases/<int:case_id>/attachments/<int:attachment_id>/remove/",
        case_work.case_remove_attachment,
        name="case_remove_attachment",
    ),
    # answer templates (the administration's set-up)
    path("settings/answer-templates/", answer_templates.template_list, name="answer_templates"),
    path("settings/answer-templates/new/", answer_templates.template_edit, name="answer_template_new"),
    path("settings/answer-templates/<int:template_id>/", answer_templates.template_edit, name="answer_template"),
    path("cases/<int:case_id>/comment/", case_work.case_comment, name="case_comment"),
    path("cases/<int:case_id>/attachments/<int:attachment_id>/", case_work.attachment_file, name="attachment"),
]
