from interfaces.cli.main import cli

cli()
