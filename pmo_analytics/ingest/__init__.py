"""Reading exports: finding the files, decoding and sniffing text, staging CSV, Excel, Parquet and
schedules as text tables, and the import profiles that map other tools onto the contract."""
