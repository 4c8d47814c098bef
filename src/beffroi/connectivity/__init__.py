"""Connectivity: data in from MQTT and LoRaWAN network servers, commands out."""
