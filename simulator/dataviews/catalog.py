"""Word lists the generator draws from (data only): emails, links, bounces, journeys.

Every value here is a **[sim]** choice: REFERENCE lists the columns of the data views, not
the values MCE puts in them.
"""

from __future__ import annotations

__all__ = [
    "ACTIVITY_TEMPLATE",
    "BOUNCES",
    "CAMPAIGNS",
    "JOURNEY_NAMES",
    "LINKS",
    "UNSUB_REASONS",
]

#: Batch sends: (email name, subject line, category).
CAMPAIGNS = (
    ("Weekly Newsletter", "This week: new trails, new gear", "Newsletters"),
    ("Spring Sale", "Up to 40% off, this weekend only", "Promotions"),
    ("New Arrivals", "Fresh in: the season's new collection", "Promotions"),
    ("Flash Sale", "24 hours. Everything 25% off.", "Promotions"),
    ("Product Launch", "Meet the lightest tent we have ever made", "Announcements"),
    ("Holiday Gift Guide", "Gifts for every adventurer on your list", "Promotions"),
    ("VIP Early Access", "You are in: early access starts now", "Loyalty"),
    ("Customer Survey", "Two minutes? Tell us how we are doing", "Surveys"),
    ("Monthly Digest", "Your month in review", "Newsletters"),
    ("Free Shipping Week", "Free shipping on every order", "Promotions"),
)

#: Links in emails: (LinkName, path). A job uses 3-5 consecutive entries.
LINKS = (
    ("Hero Banner", "/collections/featured"),
    ("Shop Now", "/shop"),
    ("View in Browser", "/email/view"),
    ("Product Grid 1", "/products/trail-runner"),
    ("Product Grid 2", "/products/summit-pack"),
    ("Read More", "/blog/latest"),
    ("Store Locator", "/stores"),
    ("Manage Preferences", "/preferences"),
)

#: (category id, category, subcategory id, subcategory, type id, type, SMTP code, reason).
#: The first two are hard bounces (bad addresses bounce with those on every send).
BOUNCES = (
    (1, "Hard bounce", 1001, "User Unknown", 1, "immediate", 550,
     "550 5.1.1 <{email}>: Recipient address rejected: User unknown"),
    (1, "Hard bounce", 1002, "Domain Unknown", 1, "immediate", 550,
     "550 5.1.2 <{email}>: Host unknown, domain {domain} not found"),
    (2, "Soft bounce", 2001, "Mailbox Full", 2, "delayed", 452,
     "452 4.2.2 <{email}>: Mailbox full"),
    (2, "Soft bounce", 2002, "Inactive Account", 2, "delayed", 450,
     "450 4.2.1 <{email}>: Mailbox temporarily unavailable"),
    (3, "Block bounce", 3001, "Spam Detected", 1, "immediate", 554,
     "554 5.7.1 Message rejected: content looks like spam"),
    (4, "Technical/Other bounce", 4001, "Timeout", 2, "delayed", 421,
     "421 4.4.2 {domain}: connection timed out"),
)  # fmt: skip

JOURNEY_NAMES = (
    "Welcome Series",
    "Abandoned Cart",
    "Birthday Rewards",
    "Win-Back",
    "Post-Purchase Follow-up",
    "Loyalty Onboarding",
    "Browse Abandonment",
    "Re-engagement",
)

#: Activities of every journey version, in canvas order: (ActivityType, name suffix).
ACTIVITY_TEMPLATE = (
    ("EMAILV2", "Email 1"),
    ("WAIT", "Wait 3 Days"),
    ("MULTICRITERIADECISION", "Opened Email 1?"),
    ("EMAILV2", "Email 2"),
    ("WAIT", "Wait 2 Days"),
    ("EMAILV2", "Email 3"),
)

UNSUB_REASONS = (
    "Unsubscribed from email link",
    "Unsubscribed from Profile Center",
    "One-click unsubscribe (List-Unsubscribe header)",
)
