"""Schedules: a generation request becomes the solver's problem (``problem``), is solved
(``solver``), reported (``report``) and kept as a draft until published (``drafts``)."""
