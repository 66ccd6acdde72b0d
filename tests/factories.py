from __future__ import annotations

import factory

from forums.models import ForumConnection, Platform


class ForumConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ForumConnection

    name = factory.Sequence(lambda n: f"Forum {n}")
    platform = Platform.DISCOURSE
    base_url = factory.Sequence(lambda n: f"https://forum{n}.example.com")
    api_username = "system"
    api_key = factory.Sequence(lambda n: f"k3y-{n:04d}-secretvalue-{n:04d}")
    api_key_last4 = factory.LazyAttribute(lambda o: o.api_key[-4:])
