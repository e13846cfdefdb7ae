"""Filed verification reports: the PDF laid out from a validation report, signed by the
service's report key. No Flask here; the web layer and the command line call
``signsvc.services.report_service``."""
