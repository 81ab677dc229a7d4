from clinicfinder import create_app

app = create_app()
