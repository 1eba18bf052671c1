"""Reports of a run: the terminal table (``table``), the JSON report (``json_report``), JUnit XML
(``junit``) and timelines read back from a saved JSON report (``timeline``). All take a ``RunReport``."""
