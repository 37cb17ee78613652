"""Smart-card tier: pcscd + vsmartcard-vpcd + OpenSC with a PIV card emulated here."""
