"""What every domain uses: i18n, rendering, audit log, security headers, errors."""
