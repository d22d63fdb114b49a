"""Staff browser sessions kept by the server: idle timeout and revocation on logout
(:mod:`callwarden.staff.sessions`)."""
