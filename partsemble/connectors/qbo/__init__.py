"""QuickBooks Online connector: a SalesSource over QBO's Accounting API v3, plus OAuth."""

from partsemble.connectors.qbo.client import QboSource, build_source
from partsemble.connectors.qbo.http import QboHttp, TokenProvider
from partsemble.connectors.qbo.oauth import TokenSet
from partsemble.connectors.qbo.retry import RetryPolicy, Timeouts

__all__ = ["QboHttp", "QboSource", "RetryPolicy", "Timeouts", "TokenProvider", "TokenSet", "build_source"]
