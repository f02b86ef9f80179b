"""The integration contract: the OpenAPI document Litestar generates from the handlers, completed
from what the handlers declare (scopes, answers) and what the edge does to every request
(headers, the error envelope), and the offline docs page that shows it."""
