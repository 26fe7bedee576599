from .audit import acting_as


class AuditActorMiddleware:
    """Attribute changes made while serving a request to its user and channel (api/admin/web)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        channel = "api" if path.startswith("/api/") else "admin" if path.startswith("/admin/") else "web"
        with acting_as(getattr(request, "user", None), channel):
            return self.get_response(request)
