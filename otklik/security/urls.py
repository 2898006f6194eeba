"""Mounted at ``/accounts/``. Only ``2fa/…`` opens to a session still owing its second factor."""

from django.urls import path

from . import views

app_name = "security"

urlpatterns = [
    path("2fa/verify/", views.verify, name="verify"),
    path("2fa/enrol/", views.enrol, name="enrol"),
    path("security/", views.account, name="account"),
    path("security/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("security/two-factor/reset/", views.two_factor_reset, name="two_factor_reset"),
    path("security/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
]
