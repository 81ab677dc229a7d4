"""Login and password forms. Admin pages are English only, so no gettext here."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from clinicfinder.services.accounts import check_password_rules
from clinicfinder.services.passwords import MAX_LENGTH


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired("Enter your email address."), Length(max=254)])
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password."), Length(max=MAX_LENGTH, message="Too long.")]
    )


class ResetRequestForm(FlaskForm):
    email = EmailField(
        "Email",
        validators=[DataRequired("Enter your email address."), Email("Enter an email address like name@example.org.")],
    )


class SetPasswordForm(FlaskForm):
    token = HiddenField()
    password = PasswordField(
        "New password",
        description="At least 12 characters. A few unrelated words make a strong, memorable password.",
        validators=[DataRequired("Choose a password.")],
    )
    confirm = PasswordField(
        "New password again",
        validators=[DataRequired("Type the password again."), EqualTo("password", "The two passwords differ.")],
    )

    def validate_password(self, field: PasswordField) -> None:
        if problem := check_password_rules(field.data or ""):
            raise ValidationError(problem)
