"""The outbound post-call survey: which finished contacts get a survey call back, and when.

`config.OutboundSurveyConfig` is a tenant's `dialogs/<tenant>/outbound.yaml`; `schedule.OutboundSurveys`
applies its rules over Redis (sample per queue, delay, opening hours, do-not-call list, not surveyed
recently, never two survey calls to one number at once) and hands due calls to a dialer.
"""
