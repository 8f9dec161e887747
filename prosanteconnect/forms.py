from allauth.socialaccount.forms import SignupForm as AllauthSocialSignupForm


class SocialSignupForm(AllauthSocialSignupForm):
    """Asked only when the service gave no usable e-mail address (none, or one already used):
    the e-mail address alone. The portal's sign-up fields (role, RPPS, practice) come from the
    claims and the directory, not from this form."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name != "email":
                del self.fields[name]

    def signup(self, request, user):
        """The e-mail sign-up's extra step (gomask.signup.SignupForm.signup) does not apply."""
