"""Channel adapters: one module per channel kind, all behind the ``Adapter`` protocol in ``adapters.base``.

``REGISTRY`` maps a channel kind (the ``kind`` key of a channel in the config file) to its class. It is explicit:
adding a platform means adding its module and one line here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from adapters.base import Adapter, Limits, Payload, PostContent, Receipt
from adapters.cms_webhook import CmsWebhookAdapter
from adapters.dingtalk import DingTalkAdapter
from adapters.errors import AdapterConfigError, ChannelError, CredentialsRejected, Permanent, Retryable, Uncertain
from adapters.feishu import FeishuAdapter
from adapters.mastodon import MastodonAdapter
from adapters.matrix import MatrixAdapter
from adapters.media import NO_IMAGES, ImageSource, LoadedImage, check_image
from adapters.onebot import OneBotAdapter
from adapters.outbox import OutboxAdapter
from adapters.sms_aliyun import SmsAliyunAdapter
from adapters.sms_tencent import SmsTencentAdapter
from adapters.telegram import TelegramAdapter
from adapters.webhook import WebhookAdapter
from adapters.wechat_mp import WeChatMpAdapter
from adapters.wecom import WeComAdapter
from adapters.weibo import WeiboAdapter
from adapters.wordpress import WordPressAdapter

__all__ = [
    "REGISTRY",
    "Adapter",
    "AdapterConfigError",
    "ChannelError",
    "CredentialsRejected",
    "ImageSource",
    "Limits",
    "LoadedImage",
    "Payload",
    "Permanent",
    "PostContent",
    "Receipt",
    "Retryable",
    "Uncertain",
    "check_image",
    "create",
]

REGISTRY: dict[str, type[Any]] = {
    OutboxAdapter.kind: OutboxAdapter,
    WebhookAdapter.kind: WebhookAdapter,
    WordPressAdapter.kind: WordPressAdapter,
    CmsWebhookAdapter.kind: CmsWebhookAdapter,
    WeiboAdapter.kind: WeiboAdapter,
    MastodonAdapter.kind: MastodonAdapter,
    OneBotAdapter.kind: OneBotAdapter,
    WeComAdapter.kind: WeComAdapter,
    DingTalkAdapter.kind: DingTalkAdapter,
    FeishuAdapter.kind: FeishuAdapter,
    SmsAliyunAdapter.kind: SmsAliyunAdapter,
    SmsTencentAdapter.kind: SmsTencentAdapter,
    TelegramAdapter.kind: TelegramAdapter,
    MatrixAdapter.kind: MatrixAdapter,
    WeChatMpAdapter.kind: WeChatMpAdapter,
}


def create(
    kind: str,
    name: str,
    options: Mapping[str, Any],
    *,
    client: httpx.AsyncClient,
    env: Mapping[str, str],
    images: ImageSource | None = None,
) -> Adapter:
    """Build the adapter for one configured channel; unknown kinds and bad options raise ``AdapterConfigError``.

    ``images`` is where the adapter reads a post's images (``publisher.media.MediaLoader``); without it every image
    is refused."""
    try:
        cls = REGISTRY[kind]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise AdapterConfigError("kind", f"unknown channel kind {kind!r}; choose one of: {known}") from None
    adapter: Adapter = cls(name, options, client=client, env=env, images=images or NO_IMAGES)
    return adapter
