"""The admin side: clinic admins keep their listing true; site admins run the directory. English only."""
