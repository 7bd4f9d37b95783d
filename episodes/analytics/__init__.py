"""Download analytics by the IAB Podcast Measurement guidelines, keeping no listener's address.

Three rooms, one way: `recording.record_hit` appends one raw row on every road
to an episode's audio; `rules.aggregate_downloads` (the `aggregate_downloads`
command, every few minutes) turns raw rows into downloads per episode, day,
app and device and prunes what deduplication no longer needs; the admin reads
only the aggregates.
"""
