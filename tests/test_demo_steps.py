"""The demo portfolio's simulation steps (pmo_analytics/demo/).

Golden-file regression test: `test_output_is_byte_identical` writes the sample for six cases and
compares the SHA-256 of every file written with the literal values below. They were recorded after
the window-independence change (issue 13: the portfolio is simulated over a fixed calendar and the
window only chooses which month ends are written; tests/test_demo_window.py checks that), which
changed every file once; before it they had been computed from the single-module generator
(demo/sample.py before it was split into steps). Any change to the draw order, the arithmetic or
the CSV formatting changes them. If an output change is intended (or a DuckDB upgrade changes how
COPY formats numbers), check the new files and record the new hashes.

The other tests check single steps for properties that can be checked by hand.
"""
from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pytest

from pmo_analytics.demo import FILES, write_sample
from pmo_analytics.demo.allocations import allocation_rows
from pmo_analytics.demo.dates import month_end, month_number
from pmo_analytics.demo.month_end import month_end_state
from pmo_analytics.demo.risks import risk_rows
from pmo_analytics.demo.simulation import simulate_portfolio

CASES = {
    "demo_history": {"projects": 60, "months": 12, "seed": 7, "history": True},
    "tiny_history": {"projects": 5, "months": 3, "seed": 1, "history": True},
    "mid_history": {"projects": 300, "months": 24, "seed": 42, "end": "2025-06", "history": True},
    "flat_default": {},
    "flat_people": {"projects": 40, "months": 6, "seed": 11, "end": "2024-02", "people": 7},
    "single": {"projects": 1, "months": 1, "seed": 0},
}

# SHA-256 of every file each case writes, recorded after the window-independence change (see the module docstring);
# projects.csv and allocations.csv re-recorded for issue 15 (the value_score column; an overloaded team-week's extra
# hours go to one crunch project), every other file unchanged.
GOLDEN = {
    "demo_history": {
        "2025-11/allocations.csv": "71218da8544dc6f1a2dac1e3f84b1bc325a01e6ca7068d8b66b9d37119694cc4",
        "2025-11/budget_lines.csv": "e0c1229cc7e81d4ac634e5a2cb6126afa3d24a2f8d3239b05d66770a89a83c94",
        "2025-11/milestones.csv": "b06bc78f13e03148879a95b0a8a906a66099b47c45442fc16c4f0c1a6eb481f6",
        "2025-11/progress.csv": "c2fe3452f050b0fa9f912cb51ff8f0b6d9e3634ca3067230c2e402e2dc3c12d8",
        "2025-11/projects.csv": "c19f630dfb2e5315faa579e555004050a12e424b4f91b887de29d119000e4c51",
        "2025-11/resources.csv": "e21dfbd3220bb8359799cf088d7d00e428c2d6da35d0f78f1c81e942b2c4edb9",
        "2025-11/risks.csv": "d3380435a6b634a287697b783465bedc9d70e3f7ba611229162ad4b53eed5506",
        "2025-12/allocations.csv": "9599ef5f36b634c0df1f55a20c869ab6b013b4da2244894b7fa141f749cfb304",
        "2025-12/budget_lines.csv": "6594658bcc41fac65d6f2c27980a0839dca5aed78797565589591f838ce720ba",
        "2025-12/milestones.csv": "67a9319d6f1134bd11f34862a710823a2cc7a01afc6e76f5c0de4298f11c1f9c",
        "2025-12/progress.csv": "c24883403c1ad7a8616334d875c8486457fa3341488f3707b77d3b550882a937",
        "2025-12/projects.csv": "999b6bb26aaa734cfee0b03ea352d4db7ceec73db44c3f8ef3846961a55362e7",
        "2025-12/resources.csv": "e21dfbd3220bb8359799cf088d7d00e428c2d6da35d0f78f1c81e942b2c4edb9",
        "2025-12/risks.csv": "cfb5a8e7dff1b332ace6960d13a70bfc552de4fdef36fc9a24245378ae385272",
        "2026-01/allocations.csv": "550ab622af96a9f85fda495094df41641c7e297ca2ec07ae9ec9d8236260c4d4",
        "2026-01/budget_lines.csv": "0302f5304573d9f8508b0855dc8742ead651808ed4efc54ddd8389ab6190638a",
        "2026-01/milestones.csv": "8dfeab02e424e734c444f1868ecf7b363d48119e7861b23f7e677524e2a770b6",
        "2026-01/progress.csv": "31476324c262c438850708c78f029949fb6956699e748f1894e5a3cdb69c9474",
        "2026-01/projects.csv": "c87983ceea79e22af2585ebac2f61d8564ac1f7f5baaa93f7cbb59f2bfba178c",
        "2026-01/resources.csv": "e21dfbd3220bb8359799cf088d7d00e428c2d6da35d0f78f1c81e942b2c4edb9",
        "2026-01/risks.csv": "521f0c81304e5f8b4afb5efca6304a771c680d7374c4a08481f58657760baa5d",
        "2026-02/allocations.csv": "e269712c91abe5620e8322df25a865b5765a531a61a24ac3ec65a8c16fc847df",
        "2026-02/budget_lines.csv": "6df0e7c6e360f4e7aa82d72cd04fe5a3f8badaed77c0adb292b36fb96b1648d4",
        "2026-02/milestones.csv": "2da7d69b1b737d11bdd51347a430e6d4edf2589278e911aa06f6db49b82d60d7",
        "2026-02/progress.csv": "632d50a8602d3d3e9d7f34e6d91c53b282a2f5d30520db79b1d31a7db033e011",
        "2026-02/projects.csv": "7b21971c6d121c67f05c5091e9c6aa4ecc80a3c1a5300c61f63491d6d97dc653",
        "2026-02/resources.csv": "e21dfbd3220bb8359799cf088d7d00e428c2d6da35d0f78f1c81e942b2c4edb9",
        "2026-02/risks.csv": "8bbcebfdfd7dc626313aff154e83f92c61c4854f2e592c99debda32b4110defe",
        "2026-03/allocations.csv": "521e03df7ddfe1e7f119fbda91f883dff6e2773047101915ac55845cf9fe225c",
        "2026-03/budget_lines.csv": "0258781e533503659c661a22a5e092c1dd925def8c35ebd623eb970d611cc488",
        "2026-03/milestones.csv": "681de277a632daf2c0f2b99c4fad1ce859751bb9fc734c8c8b3a3781d0d2326d",
        "2026-03/progress.csv": "316da8631a0d067dc16e63a378be48f64bb000975aa87cdab4b4a5932c6fa8e6",
        "2026-03/projects.csv": "7ee01cb65d02f960e9332f92982f72aa06c1482cb3407132e1c2b9ceb3833ef5",
        "2026-03/resources.csv": "e21dfbd3220bb8359799cf088d7d00e428c2d6da35d0f78f1c81e942b2c4edb9",
        "2026-03/risks.csv": "4bc70ebe4b0a60dfbac26efcff1b18bd498f96a6a57fd623e8a9e6f0caeae0a1",
        "2026-04/allocations.csv": "b30525d492785c8c5779be9e09a0a42c82ee6911af0e97be76270fd622d18c46",
        "2026-04/budget_lines.csv": "80dcdfd835fa891c41dee1f54112670aa4a8e176be816d0fc7a95212ac74ca48",
        "2026-04/milestones.csv": "0faef783ae055babd6c816273c7e2e99aec2bdfbd971893b7c83c0f341769c47",
        "2026-04/progress.csv": "b5ed4e49ab81e9a80a31580c763591def345339aefc81e8b942c5e161e8a11be",
        "2026-04/projects.csv": "fd74cab13c3bad98e8748cc8f066eab1122e2cf22186fe53c998663520057684",
        "2026-04/resources.csv": "e21dfbd3220bb8359799cf088d7d00e428c2d6da35d0f78f1c81e942b2c4edb9",
        "2026-04/risks.csv": "bdba77c6e833fe48cb2052f3602ce6a93770cfbcde19da0949754c0ecdfee081",
        "2026-05/allocations.csv": "6f614608d5ac3350d307129e83eb0e39bc781fa4ce01c36dfb89cb014e875656",
        "2026-05/budget_lines.csv": "452b476dbbbe6883b7b01ca4d927f4ec76ca31d4f144d8ae131dbc1393dd84a4",
        "2026-05/milestones.csv": "afa0df623ae7ca1cdff85fd804038e8f2a46acacb4d62f731f2c5b409e2f3195",
        "2026-05/progress.csv": "2443c285620ba7e47bbd7d65d30574e09e9718af7e4088342554dfdc46cbdf84",
        "2026-05/projects.csv": "2d88f5749f9d4ebf0dc7c247a1919420dacf737a83d1713c2bbad404337acdf7",
        "2026-05/resources.csv": "e21dfbd3220bb8359799cf088d7d00e428c2d6da35d0f78f1c81e942b2c4edb9",
        "2026-05/risks.csv": "1228f7c59e23f79b0ffb7fc6d9ca98d0f5cec7ba7185c6e98ebfff95b664d4cc",
        "2026-06/allocations.csv": "89856b484e60346ec5e4f5993b45d2cd0d3a860f599dafc7d29ad28fd7ef8d3c",
        "2026-06/budget_lines.csv": "e11b5c1716906fe568592e21bc39fcdbbcbe623b7c52b5ae9ba2313ca9e3af21",
        "2026-06/milestones.csv": "9e2118af1e73c80aea7ac2f0ea8759e2d188cb2c2b9fc039ccda668bb659cd15",
        "2026-06/progress.csv": "7b52a17aa2cc02b1a35cd652e518fc1df28701b10e22d800bb319b53d4ee390b",
        "2026-06/projects.csv": "5095a3b331e4af962d4fa1f5cb3cff31222d1a83ee0ea25a446afa1b1f8669ff",
        "2026-06/resources.csv": "e21dfbd3220bb8359799cf088d7d00e428c2d6da35d0f78f1c81e942b2c4edb9",
        "2026-06/risks.csv": "098db30e5e8bebc7b38fc2f87c916a1d03702af5bbc2977ffde16758ed40a09d",
        "2026-07/allocations.csv": "557fa764a9141c383caf65e3fd8a1ebc01716c7ab5a621a62cee9e0c069973b9",
        "2026-07/budget_lines.csv": "30d90c7af91488d9384dda6599d9970e2f2b30311623d3e8df23a0a3a4375111",
        "2026-07/milestones.csv": "71e5b7de6dcc1c180c44ab37aca59adb8618d9507b0189de908db3bd0af22721",
        "2026-07/progress.csv": "70b339535928920dbe3bef49e1bb3dd5bdfcb7975e17004432b217152b74f932",
        "2026-07/projects.csv": "db2f3153d5e9c5430bc71cd37305ff30a14759c63d066d66212ecae0a0cb0dc5",
        "2026-07/resources.csv": "e21dfbd3220bb8359799cf088d7d00e428c2d6da35d0f78f1c81e942b2c4edb9",
        "2026-07/risks.csv": "534747fb75c1317f56b427f04bc7b70c743c0d2fd1cbdbf4640dee6dc60a592f",
        "2026-08/allocations.csv": "6c532a88abbb7d5438be8dd4143252d19c4842db58a9babd66f13cc53e35fa31",
        "2026-08/budget_lines.csv": "26ee645213dffc7677ed3c2a86a506a81b85cdf03edd86ea63a9e1d7d9e99786",
        "2026-08/milestones.csv": "6c67a25beeac4ff93809f534ec233a91db82a60dc22d82caa27337ea848de806",
        "2026-08/progress.csv": "82dba346bac40efb0f477521955a8c6b54efc0837bd8fd9822ecc4765c51c1e8",
        "2026-08/projects.csv": "29fdc07d8f537c18f833d621d727523666563d315e171f8e0ef99f6c2d2cb0cc",
        "2026-08/resources.csv": "e21dfbd3220bb8359799cf088d7d00e428c2d6da35d0f78f1c81e942b2c4edb9",
        "2026-08/risks.csv": "065f19bc8863dab323d096edfe6c2b1e6de26d713d111f04cde29b768acb606c",
        "2026-09/allocations.csv": "db40268035af78ad4eb306f57ab547a7d56bb71786a0430515f089f804059b76",
        "2026-09/budget_lines.csv": "41520fc983239027cba6b2f9e0dc8bbeb4ff463cfb9e772df386da58aae3ffae",
        "2026-09/milestones.csv": "cbd574898b569438025fdebf2b1a967d4c4d1fef8b1c5dcbcee53bc145d11a9c",
        "2026-09/progress.csv": "3814d91d5e5d8cda8736fae77a9836fd630fe9b2ef4008a33635d5968598e9e4",
        "2026-09/projects.csv": "89c708fdecbc313f07b91db7f6c4be1832f4db28208e521e520007af46a61eac",
        "2026-09/resources.csv": "e21dfbd3220bb8359799cf088d7d00e428c2d6da35d0f78f1c81e942b2c4edb9",
        "2026-09/risks.csv": "1d06b39a2de01f1b886d60b3d2e7b6c828dd9eb78526ebc356cf8f5c64423834",
        "2026-10/allocations.csv": "454a3726a927b919da1bf51fd772366e65400e5a4bf292f76bfdad8f680fb0b1",
        "2026-10/budget_lines.csv": "e1716fd640798018b3adc7d019b4f62748596b300bdc792044c67e495df95f4b",
        "2026-10/milestones.csv": "0993d239b837aeed4c077ca824c4bad5a99f002fbdd0b39ca3a27b0ce3b91f5e",
        "2026-10/progress.csv": "92812c1afc1634cdc2ada586b8aa47b8989efd1aef973c982ab1e9cc4b13c92d",
        "2026-10/projects.csv": "e9f5dbea3b01f0c559e644ecafc660ae94797b858b29f2be2c21c0a08cb05e23",
        "2026-10/resources.csv": "e21dfbd3220bb8359799cf088d7d00e428c2d6da35d0f78f1c81e942b2c4edb9",
        "2026-10/risks.csv": "19501980a6fc641338b2e73aef6b9ea60135e9237c7cc610cf203f5ca808577e",
    },
    "tiny_history": {
        "2026-08/allocations.csv": "4665842d1261cf54bf0ffc197469dbb3f7cec7a3b9fa206ff5b52c6080cc4c9a",
        "2026-08/budget_lines.csv": "28f569fd730dcbb34572be5b602c5b6f0ffdcc53f7720dc8c43e9c2ade409013",
        "2026-08/milestones.csv": "c9a8f76fb66c347c50e5f7c4c74fba7a6ce2fbeaf2f1a0e0de06fe1b86417b48",
        "2026-08/progress.csv": "b5dc650217b5f7dc31ea7081769e632029689b241e4296917b68779d81af15bd",
        "2026-08/projects.csv": "ed96270484b89e636494dc622fd202dd8c2b3b62e87b0d74795fe5934477748d",
        "2026-08/resources.csv": "6c8b294736b81b0aedc26de38ab41431c518565ddecb940d55dc2f4acca25e08",
        "2026-08/risks.csv": "9ff329abfc447633fc11d1da5027bc18a4d030d46edc0fb6927239cd7aeae9d7",
        "2026-09/allocations.csv": "34aa3b0b3f85db8d21c611d0664b2e454557cee2933c8eb81d3e3dda28a734ed",
        "2026-09/budget_lines.csv": "45834a5c72a42334323e7d20d75dabca3f19ec00d463815ffb38ac8494ad7470",
        "2026-09/milestones.csv": "702e24269853da5db15eb98adb312574eb294e716dd3d50dca19a9350343cd19",
        "2026-09/progress.csv": "1feb0b4ae578ba71a6b64ed132106dca7f51792c872d1d24b653747f62584a1e",
        "2026-09/projects.csv": "c159be08d1ce972f7f10907fd8df9cfd5c36c4b5a7116567e51683ab1bd364ea",
        "2026-09/resources.csv": "6c8b294736b81b0aedc26de38ab41431c518565ddecb940d55dc2f4acca25e08",
        "2026-09/risks.csv": "c44140f224e062cf4906830cf4e3adc7d6b2619355958060108dbc9514f51f9e",
        "2026-10/allocations.csv": "3b279bdbce5cc5a982a022d5ba6afeb1d6574bb0df735c8742a6a657895ad57c",
        "2026-10/budget_lines.csv": "d6ba1249e1caaa5ec969062e217289f82d73103c8df81f72c9b9ecb6d80b7210",
        "2026-10/milestones.csv": "a8bb0552c2d8bc1d359cd1b74a1cf984eea91b282a6b1231fa6efcb7eb0c1938",
        "2026-10/progress.csv": "43324faea0940b48e416b13253ad7b7187cc2be4440d5a8163622978fbfc5e3e",
        "2026-10/projects.csv": "1bcfd7f2159d971d6ad8ff09cfa3ba3603ecfe81c9697a244c8b1baab021ab57",
        "2026-10/resources.csv": "6c8b294736b81b0aedc26de38ab41431c518565ddecb940d55dc2f4acca25e08",
        "2026-10/risks.csv": "95b46242b165f0f9dcb627c5e4993491eb2f920178395d1c342ab7a0793381ac",
    },
    "mid_history": {
        "2023-07/allocations.csv": "b03c65568c59576d3b37dfc3e40a2ea417edd05f139ae73a878d6fe324ec5856",
        "2023-07/budget_lines.csv": "d5efac35890dace595e12b2d755892779f828787929d108bafe23c1a4eb173f6",
        "2023-07/milestones.csv": "4b38b51aab73384172d7394f033a3eb1dfb1112c1702bac801a35e6230e5e229",
        "2023-07/progress.csv": "b31eada66f3d0a3d21686546a8469d8c9a1c8225bece18b8e06e248b2dfb68d4",
        "2023-07/projects.csv": "8864ae9637bcc6eaebd38a6054705ba65fc3133894e5030e7b37939ef261b6ea",
        "2023-07/resources.csv": "ec576fffc653097ede6433a852532a79a9dfeb9a9920027c6b2a0763231709a6",
        "2023-07/risks.csv": "2c48fd09ca022703208849e6f10d41d7b33fd75d593f8637eb9f7239d0f08cda",
        "2023-08/allocations.csv": "b8a8f8da05ec6e6fc7f5c157d24d57a00a5467634f1662e4b240096a2897f1a6",
        "2023-08/budget_lines.csv": "c958cea6a7dc080e35b774c77201a855cd316397cfb91f453beec5b03154b52b",
        "2023-08/milestones.csv": "fa8d8cd3e5d28c6108861bc79a92fb40cb8f0d98a39434c6f6f1aa133a18cc4d",
        "2023-08/progress.csv": "05f6b4e90557569d936ba0e2374f6d59077d2b9d969a863addd966359edcf956",
        "2023-08/projects.csv": "fdba52db29a852be3f078fdf34ba1ca78b0fd0b08596597f3ca3623388882cbe",
        "2023-08/resources.csv": "ec576fffc653097ede6433a852532a79a9dfeb9a9920027c6b2a0763231709a6",
        "2023-08/risks.csv": "96bd15845f423ebcdd64a02ee9b92a69962a1daad73a2fd5f7fbf389ef727c28",
        "2023-09/allocations.csv": "ea09bb854408ed67d872e1f8765dba2899587a9a4c94113893f994864fa712b9",
        "2023-09/budget_lines.csv": "9c176a5e83100889b22b1974de1bd5de080f64a6080394e9057bff0bc8bc0c4f",
        "2023-09/milestones.csv": "0312dd30aa04cba556ea95b46196cb4851105d304342b846dd89a2e4e3477688",
        "2023-09/progress.csv": "082b97be800818e509fc36f7ddacadf4117e54e819e040d2af8c837361c4f2f4",
        "2023-09/projects.csv": "464d454ad1a31ae8f23124167c20c596a3590d92e7c1f1c954c73522ed98c35b",
        "2023-09/resources.csv": "ec576fffc653097ede6433a852532a79a9dfeb9a9920027c6b2a0763231709a6",
        "2023-09/risks.csv": "6820a513ed9a1ffc063413c62f1cd9f380aab3f633c8b16ef01b4c89d015fba8",
        "2023-10/allocations.csv": "ce309eb570fe6dd2709475148ab07db8486da7784475b3a7087d613d6fbfd545",
        "2023-10/budget_lines.csv": "f306358dc02f4f8ac06977ead7957adcbcbfe023253d8dcfcb8dcaa988e84195",
        "2023-10/milestones.csv": "4c9f41b6e5ce29eacedac5a6002a5c3057f3ca3ca008ab41d352cc196b820d32",
        "2023-10/progress.csv": "4dd12f2ee053baf5dcb5b5d652cbf3f233997a5dd404b46fce2cd85f66d10bbd",
        "2023-10/projects.csv": "b9b10cc00ec8719933f4b1878989b7694eb614ad7e4703698daf23f2a6aef41d",
        "2023-10/resources.csv": "ec576fffc653097ede6433a852532a79a9dfeb9a9920027c6b2a0763231709a6",
        "2023-10/risks.csv": "dde19bbb55cd6599766e2bdb9e573e87a2c3f7f8a72bed24c6a7407dbd3e573b",
        "2023-11/allocations.csv": "d70d2ab6f71daf17601769ae236718d20cf6185fdcdd526292dff9f21c4fdaaa",
        "2023-11/budget_lines.csv": "1b13fd0996e2ca7ecbe197a9c32d01c052af8561657c8251a5561ea67e337096",
        "2023-11/milestones.csv": "a5deff8a0acd2e16ca030c8fb4945bb91f1fc43b0f54577dbdcd053ff34b1adb",
        "2023-11/progress.csv": "7d5a9dcbb4b6b4921ba9acfeb39abd2eabbb89273686e89297d93c7c7e28ff4a",
        "2023-11/projects.csv": "09471a21316e6aa786c804d53ca4cabbd23d6fb57bbf0de202d2b97723138a88",
        "2023-11/resources.csv": "ec576fffc653097ede6433a852532a79a9dfeb9a9920027c6b2a0763231709a6",
        "2023-11/risks.csv": "73a3ef231c724a2a464ff5511989ab5958311694b7e7ab1f00691d50cd43691b",
        "2023-12/allocations.csv": "55eed0dd08e0ce3d0208a2ca982b7e06e3ca2957199c9a11a50db5454591654e",
        "2023-12/budget_lines.csv": "84eb8820f7cf543c77bdf33721e763f5a2594e52a4b61d9848ef45c0b7e201ab",
        "2023-12/milestones.csv": "1112d79af84309ab5446001efae9294bc8cc6983f0671b10e5df469549795282",
        "2023-12/progress.csv": "34b6c3ab6e83080a2e213560b0dfbbd7e58c7ac56c61c7db27dc5b11e6eb77a0",
        "2023-12/projects.csv": "7e5d0fe8bda6a3d26586a99e50ace0c3f379302581667780aed8f06c14ada6e2",
        "2023-12/resources.csv": "ec576fffc653097ede6433a852532a79a9dfeb9a9920027c6b2a0763231709a6",
        "2023-12/risks.csv": "9a0e1747b7b327492772d32f61b93c59f0292421b990847aeb9678d2909d5636",
        "2024-01/allocations.csv": "fb576359ffeb1d5d8ddc52060ac20a604f0b2bd33704b1ae97bc93d8b68fb97b",
        "2024-01/budget_lines.csv": "b3b49a55c3c3d8ef3804e725ac1c89d50f6ad08b86b6a632471b32987a33f6dd",
        "2024-01/milestones.csv": "a684e58077549c1cef5fd53212c9dcb739250784f6406ae90273e17898eeb707",
        "2024-01/progress.csv": "cdcced2a12168eca6a0e7665267b504196e70c682ef7ac8af653200a77b9fa13",
        "2024-01/projects.csv": "7467b2b22b33e8dc1c403adcff089fd7e4996ecc32e6ee509a3fbb11e7b6991c",
        "2024-01/resources.csv": "ec576fffc653097ede6433a852532a79a9dfeb9a9920027c6b2a0763231709a6",
        "2024-01/risks.csv": "ce9d58e098fca6304ed817b3d71d8e7767b2b1965bb3ea799498fdb05a1fbd45",
        "2024-02/allocations.csv": "8e3b6a4b8b2fb08c44a7a8d6beef4ba32b5ead5be43d5c02d00e5c9e52d0be2c",
        "2024-02/budget_lines.csv": "484bb39db77f670380272be5fe81f629974b7c9596c6fa34da32f3a81210ba9a",
        "2024-02/milestones.csv": "31b5b870d01545e329c55a41dcee80bea2900e71498e8924f00ccd249a9043d2",
        "2024-02/progress.csv": "579ac3a0fe91c6fe3253647620f38cf50738780592839c414aba8b46af4ccc44",
        "2024-02/projects.csv": "4f742ff50df127eed5260d6285b4731851f7b8e14743536e815939716aa0b2fe",
        "2024-02/resources.csv": "ec576fffc653097ede6433a852532a79a9dfeb9a9920027c6b2a0763231709a6",
        "2024-02/risks.csv": "e8e3d2a5951647fcbbac6999b1cfde7f8de33f3d9ab69dbcee47a957c40e7b13",
        "2024-03/allocations.csv": "9f6df51d6b3a521ce8dde7b93700f701315376e20d17d604cf730c3d4a7f89ef",
        "2024-03/budget_lines.csv": "a899ad5c8d34774c9291d0b665a084e3035db6fd5ef34dbb18a3eab26bef78ed",
        "2024-03/milestones.csv": "b682ecee56b5c14a94ff22e129008ac680ada47e9dfdf7dba884cda4f9c8a5a1",
        "2024-03/progress.csv": "a514ab776706c50febcdaff799c399642d7301b6c9997a6e3debf95a076c858e",
        "2024-03/projects.csv": "2666a7b04bec5f0e28646bd8d9ba58103c2044a145e2e5dfa5f16e698a0d7c08",
        "2024-03/resources.csv": "ec576fffc653097ede6433a852532a79a9dfeb9a9920027c6b2a0763231709a6",
        "2024-03/risks.csv": "343ffc55fdf31ffbcf31126d52654d9e20a8d9393fb5b557bb784595e0977ab6",
        "2024-04/allocations.csv": "7693fc44bc7ac8176729fbd252372cc2a095c02f07fe1079e0451791f33b318a",
        "2024-04/budget_lines.csv": "f0d8fe248dcbbf00b753dec5d2b8fce24f7d08b7172280709868bd97b8946bcb",
        "2024-04/milestones.csv": "a2ee7eadc5cafccb43009a18fd6d16a07324dce2c766aa8ff8dcae5c55921479",
        "2024-04/progress.csv": "93955ddb7f0fafe9c9f308b58d8e793ecd9e6b3e2450cbe6cd6046b2d328b9fb",
        "2024-04/projects.csv": "cfe6709512168e2d4932fd4bfdc00163fa732a05d85a1b65722bec17583c84ba",
        "2024-04/resources.csv": "ec576fffc653097ede6433a852532a79a9dfeb9a9920027c6b2a0763231709a6",
        "2024-04/risks.csv": "6bd8d5263acede4048d1dc45904c5dd4d8253332ccbac61ab6431747bf320bdc",
        "2024-05/allocations.csv": "081bc58cca6e36c795fccf5fc87653dcca446a2866890801c1d4219ff1329d1e",
        "2024-05/budget_lines.csv": "bfaf65211948a50897409e2aedd336d1c5277f5f73453c41455550fc63fc9792",
        "2024-05/milestones.csv": "ed763b9c992bc7b44302cb829f510530a951186227255b9c2caefabcf96fffcc",
        "2024-05/progress.csv": "2b95e95695f0aa1768805440a6b24bda6a66e57da0fbe2fa5e2bfbb338d34582",
        "2024-05/projects.csv": "32a8fecd04cd412a23666989c419b0e691988afde96bf2ebdce269c430dd0bf5",
        "2024-05/resources.csv": "ec576fffc653097ede6433a852532a79a9dfeb9a9920027c6b2a0763231709a6",
        "2024-05/risks.csv": "886e54c01e6b2831fd40f6f787e1f738afe0353a5c4a3edb95050bf22a9b908a",
        "2024-06/allocations.csv": "bc5484ab0f7d371fde38bca0c0b3707d08f580d4f17a092ba6d0bdd22d58956f",
        "2024-06/budget_lines.csv": "d34f3a3174a30487f8e56d482287ae6bc05198272a76814c51cc0a26d9e73af6",
        "2024-06/milestones.csv": "5ccc9b9f142e16bcba4c8a0028a201036e3f12aae9840a0d40f054721e1a4287",
        "2024-06/progress.csv": "2b56f74345aabf9052b36c7cf45ec7e8c08258c3cfe0001881ceb962dcd4e44b",
        "2024-06/projects.csv": "f53a2b619ae44191d2486541f59268595eb38f7e786e200a8143ea2d06db2ee6",
        "2024-06/resources.csv": "ec576fffc653097ede6433a852532a79a9dfeb9a9920027c6b2a0763231709a6",
        "2024-06/risks.csv": "f54c381477175f42b078249ae175483ed1062f99879c328014ae4a9fd500aaaa",
        "2024-07/allocations.csv": "73f37923ca7daf10bc71762d93e0d73e41621aa80aea6a85ed9a03b87d8b2008",
        "2024-07/budget_lines.csv": "5271e08f5f4e0439d4d1fa1128804c99cb33955b05f45306cba3b8a3167bc648",
        "2024-07/milestones.csv": "238952423f9ff99199e06c43de8bd2940450104ce412988352e1e5728bd58164",
        "2024-07/progress.csv": "a8aadede34870142ab76771b8408a5690020765917ebc76ed9027eb52f6db132",
        "2024-07/projects.csv": "0b40032d5cc959780e6164c37deb55f9777a745e869c071b25269c5e387b4f3c",
        "2024-07/resources.csv": "ec576fffc653097ede6433a852532a79a9dfeb9a9920027c6b2a0763231709a6",
        "2024-07/risks.csv": "f9769de0589134ccb66db16977b9ac2c8ff3809a8af8ec63daf088fc8adde203",
        "2024-08/allocations.csv": "77778c63c2cbc70eaca03adf1a6b7233415b58212b4bf7382b1acaf43389c083",
        "2024-08/budget_lines.csv": "59a7d79e5fcb319a3381a4a62d2ce8c3d70fb58ac2129006c143c7c3026e03f4",
        "2024-08/milestones.csv": "68a0b4da6c7380f1b3fd0fcc1fb531946ce373bcaedc395a40c986380bc7ec1c",
        "2024-08/progress.csv": "42518453a846036f8bceff1bbbf1e40e62bdb4a731c5541314b5b5e29be2fd10",
        "2024-08/projects.csv": "c166ee2d9423508a5b24fc745e0daff37484370ec8245a477a86f371b1222bd4",
        "2024-08/resources.csv": "ec576fffc653097ede6433a852532a79a9dfeb9a9920027c6b2a0763231709a6",
        "2024-08/risks.csv": "ea05ded5341a2d7de6816e0fa6e7dacdad8e46b82939b4c703c412e6219d7879",
        "2024-09/allocations.csv": "4d653e463f63ddd03e9057b96e02ce4c080216d835dc39018e470d8fff4d620a",
        "2024-09/budget_lines.csv": "89d634b8e380b45085700b5f0b3774b1aee529268f6f04a85d4df6a6601ac4c4",
        "2024-09/milestones.csv": "eb25352272487f4c2f3970e1077bd45f41a536a29f33d157528ea5c17b6c72a5",
        "2024-09/progress.csv": "c0662d3c1a782569af141f84fe3bba0831cd06243094aa2b4490b3ba45278dfe",
        "2024-09/projects.csv": "6458948fcffcb6a6340d2d7b10d266e494b6ab5aeb327094d0c3fdaf70c38595",
        "2024-09/resources.csv": "ec576fffc653097ede6433a852532a79a9dfeb9a9920027c6b2a0763231709a6",
        "2024-09/risks.csv": "8ecda00b943acb0545efe682e6a6edfef2bd6a8d23a30f35b9fb98ef6a7ed09d",
        "2024-10/allocations.csv": "de8ac69921e076f4906a9bea203048492bf5c876eb70744e3ca1b4c9e288ee65",
        "2024-10/budget_lines.csv": "ed38b705a8d2a819f773e0e5b0c53a42711a307afd62e1a1c38f2fb4317ecde2",
        "2024-10/milestones.csv": "730deaedfe306f43503ebd94cf4e5d1e81b659cf8bfd9a45af2233df7ca257d5",
        "2024-10/progress.csv": "41ed5de5ed1d49aafd7709a1be3e442272823756775c7270a6f7f2d01e042ccf",
        "2024-10/projects.csv": "6687d58184401b0439a81df22f6c30d200e9613b08d70db0c1eff83a1ccdce84",
        "2024-10/resources.csv": "ec576fffc653097ede6433a852532a79a9dfeb9a9920027c6b2a0763231709a6",
        "2024-10/risks.csv": "1f1ad5ae54dcbd3986444a06f2ddaf2441c8a90eca5d69b10f809920e183cf7c",
        "2024-11/allocations.csv": "6d8b9fd171334f3be2ad7a751c66fca93c40cb37b29007a801944cb861c8befa",
        "2024-11/budget_lines.csv": "d87f32ffd611da180ef4998ac769a38eae08962ffc74db337842b0cb3eb5b1db",
        "2024-11/milestones.csv": "2cb20ed48a202c9a343b34b8a92fe20012554dec6ef43ca05730b8fcde85e757",
        "2024-11/progress.csv": "ec00c97f4a98832d1bc0ee03ac475eacb0e5c58a7aaa4122dbb00ce47539ca24",
        "2024-11/projects.csv": "afa1edd5d0d2231145dad78ffaaa3cc753d453c564d9ba2a7a25735f8e868f7a",
        "2024-11/resources.csv": "ec576fffc653097ede6433a852532a79a9dfeb9a9920027c6b2a0763231709a6",
        "2024-11/risks.csv": "baf5f770b28cea8ccca0fc2654c54f5940299d52e0ac79c540e07aefa7931914",
        "2024-12/allocations.csv": "47374b553c702540931822f3d436b40678032ecde20b2c4356f3391dca4e41c6",
        "2024-12/budget_lines.csv": "9f61b4d8d1a7475b343fc70bf067fefbbacf35d3799675fa256ac0035a2fdfd8",
        "2024-12/milestones.csv": "0dfb0f31e400022b0301b6662140088c2783ea178823e72d865979bc8fe57ca4",
        "2024-12/progress.csv": "a66ed6775764ad266a1af14f70e1c21ac2379f3e6e99ace49f7a9046a86efcb3",
        "2024-12/projects.csv": "ed20e9c49113b1b993651ce03e383f2eb271d25a6e80fe1adf1c308b5c5e1da2",
        "2024-12/resources.csv": "ec576fffc653097ede6433a852532a79a9dfeb9a9920027c6b2a0763231709a6",
        "2024-12/risks.csv": "2c8a680be9af6072ab17e26c334e64e6030502594878aa1d83281dab83fb2074",
        "2025-01/allocations.csv": "fd0c792b7d38fa1b97a2e1ecaf761d1d2e3db24d3e8ff10162b2ec08661cc4f0",
        "2025-01/budget_lines.csv": "2f929a4751e3c1f284ea567633ffbd73ee8ad74c3b068b741165d5e69a2a2601",
        "2025-01/milestones.csv": "302076faa6f7580189d0b90ee65b833dcbf948fae5888c992d648e56e298e3f2",
        "2025-01/progress.csv": "5cfe1d9b9d1dcd9893f5eaa63ae7479924080b10588ea64d62ea1eb5729e0bb9",
        "2025-01/projects.csv": "0016c944886b49a6734ee4deb85fc22688b8403d27d280566792cac5c3a29535",
        "2025-01/resources.csv": "ec576fffc653097ede6433a852532a79a9dfeb9a9920027c6b2a0763231709a6",
        "2025-01/risks.csv": "f77c282df461409cc0dc3b4336921f17f6cf68ccd51d422c499b82032212c6db",
        "2025-02/allocations.csv": "53e41322a95f2305b38663e2db35236e51b6b9c12a3957f86ef1de94e6ce31f0",
        "2025-02/budget_lines.csv": "105b382c8aabe83559158632ee239fc7165a779e2b49927e5bd969fb6a4ab4f2",
        "2025-02/milestones.csv": "315eccd87f457a925ef23fb9d58eddf9360b88f82275e16a56dde9e74ee4a5da",
        "2025-02/progress.csv": "4a049d7209ac90b59597e537b608b0fff5a84591aba7d4486966c0c966919423",
        "2025-02/projects.csv": "e81026b86bda667afd62478a412eb323b88c6ac86e59d8614a86eb203b26c343",
        "2025-02/resources.csv": "ec576fffc653097ede6433a852532a79a9dfeb9a9920027c6b2a0763231709a6",
        "2025-02/risks.csv": "c54841ef5f5d4fff600a8c11df5c73b90a1f73ede512e970a224fa8ee1768690",
        "2025-03/allocations.csv": "8c3e398bcbd5cf017d928aa86f0b5248c265980f6e448bc65238d03442246042",
        "2025-03/budget_lines.csv": "87ee576d595b2c982f52876ca6d11e999adfbe511ba7df6ffc809c75687d2487",
        "2025-03/milestones.csv": "2b89c28833f4efee5b39ebf8355ddf2cbf2a13028195f571548f5824c61a338f",
        "2025-03/progress.csv": "7582ade2a35694736355cab40dd09adb212febcfc3afebd59918e6fa2a297120",
        "2025-03/projects.csv": "fa67c041e18728b8c8ea9647f637d66cede5734ccb64771ac072a9bb96970c58",
        "2025-03/resources.csv": "ec576fffc653097ede6433a852532a79a9dfeb9a9920027c6b2a0763231709a6",
        "2025-03/risks.csv": "e34bfa25208bd071adc42d99672ad51fb7f70b434c7417f7aac3194489802466",
        "2025-04/allocations.csv": "12bc58bbd7d049ceb74b8418e5171fe05be21b6253eee6552c8ca73051f12023",
        "2025-04/budget_lines.csv": "463168796c4ebc7248211c02a5006942e874680849c2ecb3f8dbdb57879af332",
        "2025-04/milestones.csv": "0768c0a70029bcfdd5ae174ac885a7020076d9ab6772e5a8ab4130c4742e55dd",
        "2025-04/progress.csv": "06d1cc5d9d490ec3a35cecca835e0624d97a9f449668e30fa9d2b33f320bc975",
        "2025-04/projects.csv": "72332df44b2a6b8f8b7db6fa6cb7f79e0e41b6fa73bed04c612c2c0008c9fd4f",
        "2025-04/resources.csv": "ec576fffc653097ede6433a852532a79a9dfeb9a9920027c6b2a0763231709a6",
        "2025-04/risks.csv": "b527a6aba9a603a565946234005b3820a263e9c8e07981231ed665d58f06c925",
        "2025-05/allocations.csv": "2daff14e259391a25e7d298acc171bb7463f31b46e7a482052495e32c74c552b",
        "2025-05/budget_lines.csv": "c620e71dd208ddeb0c198cc3d30d810c5e13c93470529ac474fabe5cc2cb93b8",
        "2025-05/milestones.csv": "03e2640e2a19bd20c3e8f8746b0e05366a912bfe1858a1865242b29e8a458b69",
        "2025-05/progress.csv": "7130eb44d2cb1fc5b6e95b08a692649158a741782b42d2c517c34db9fa1f861c",
        "2025-05/projects.csv": "21bc9f189c26d8cc75f8c1e73de0df99b62b6d8351b526d76d56557bf073edbe",
        "2025-05/resources.csv": "ec576fffc653097ede6433a852532a79a9dfeb9a9920027c6b2a0763231709a6",
        "2025-05/risks.csv": "03d7ba69acb0f695e29171889765d81f3f0ad3fb3f94f538a54a4c509b5dc42c",
        "2025-06/allocations.csv": "a3244ec407896c5f857e86f672fdc375a32bea464fc93c5c86677191eef0da28",
        "2025-06/budget_lines.csv": "bf5fc2da06bf0669529fd74ea752d9df4baf2e8d35d9ccc7b8d9854c15f09bca",
        "2025-06/milestones.csv": "fefd37f3f234c7cc95335377b2b7dfcd9570ef6e407f479d361aa915214260e8",
        "2025-06/progress.csv": "7dcce219f5370b068ea0a02dc7461592e4c213b2b200ada5ed10ca6f2f6fdc0c",
        "2025-06/projects.csv": "75c0141196462b69cbe72c54ff49123236cf53e1eef9637ef2211aac7db27a9a",
        "2025-06/resources.csv": "ec576fffc653097ede6433a852532a79a9dfeb9a9920027c6b2a0763231709a6",
        "2025-06/risks.csv": "ed30a7a73d1fc6a86905ac3822548b137ead4ee6ee03ec5ff47891d453c93eb6",
    },
    "flat_default": {
        "allocations.csv": "454a3726a927b919da1bf51fd772366e65400e5a4bf292f76bfdad8f680fb0b1",
        "budget_lines.csv": "e1716fd640798018b3adc7d019b4f62748596b300bdc792044c67e495df95f4b",
        "milestones.csv": "0993d239b837aeed4c077ca824c4bad5a99f002fbdd0b39ca3a27b0ce3b91f5e",
        "progress.csv": "92812c1afc1634cdc2ada586b8aa47b8989efd1aef973c982ab1e9cc4b13c92d",
        "projects.csv": "e9f5dbea3b01f0c559e644ecafc660ae94797b858b29f2be2c21c0a08cb05e23",
        "resources.csv": "e21dfbd3220bb8359799cf088d7d00e428c2d6da35d0f78f1c81e942b2c4edb9",
        "risks.csv": "19501980a6fc641338b2e73aef6b9ea60135e9237c7cc610cf203f5ca808577e",
    },
    "flat_people": {
        "allocations.csv": "13dc9d7d1db916fd7fc5512132d79ca95bedcc92cd284c095b610b533e7a01a7",
        "budget_lines.csv": "cd0b4de7463b052c2988d3de425cfd0bb6dc4727ad45be3037bc6ff948120995",
        "milestones.csv": "9d7bc060278242a8daaf363b5440a790cff380558446e4b63a4513e321ac6edf",
        "progress.csv": "7dffbe5600fe6bc88222609fd50d189fa227ccad3264e6914f3050ba82dba595",
        "projects.csv": "7e666112762c9a06414543e57c7ad1e1f16c6f081f04bc6130474326fd885d99",
        "resources.csv": "8f6db2d6afc3953838e14f8369b4c8c3f3783ac578977078004c54ddbce50c01",
        "risks.csv": "2bce39db86dd921e9577c573881e314a47b6168523d6bcc439299f70c32bd227",
    },
    "single": {
        "allocations.csv": "9543f0cf4b98c3f563c167db6194ec7448d2239955eaa3b5f9db1d3bfaedb103",
        "budget_lines.csv": "def0347de422717126fbe0101026d9b597344aa304504b90da8812029fa071fd",
        "milestones.csv": "27a2929fda3a622091e713da7e4f0de5366257ee59b79421ea8295e6558b5019",
        "progress.csv": "5bbbbc21b866d15a9d140a1a3920f1eddc8fa2109266ddb6c9ee89289a11c282",
        "projects.csv": "050d86db03bab28925b510adb63605c83cf515380ed72049ad667242b6569e34",
        "resources.csv": "0169efd67382b1792f7ecc5261bdc9a93c5119e30a5ad40700169cbccc408830",
        "risks.csv": "df48cfa2d9e5e34bbcdb0aa3de3b327478bf1b81e8eb18b1333ed5e80641f1a2",
    },
}


@pytest.mark.parametrize("case", list(CASES))
def test_output_is_byte_identical(case, tmp_path):
    write_sample(tmp_path, **CASES[case])
    written = {p.relative_to(tmp_path).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
               for p in sorted(tmp_path.rglob("*"), key=str) if p.is_file()}
    assert written == GOLDEN[case]
    assert {path.rsplit("/", 1)[-1] for path in written} == set(FILES)


@pytest.fixture(scope="module")
def portfolio():
    return simulate_portfolio(projects=300, seed=42, people=600)


def test_every_milestone_baseline_falls_inside_its_project(portfolio):
    """Business case approved is at approval; every other baseline lies between the project's start
    and its baseline end, in schedule order, and the handover is at the baseline end."""
    plan, prj = portfolio.milestones, portfolio.projects
    p = plan.project
    approval = plan.kind == 0
    assert (plan.baseline[approval] == prj.approval_date[p[approval]]).all()
    assert (prj.approval_date[p] < prj.start_date[p]).all()
    later = ~approval
    assert (plan.baseline[later] >= prj.start_date[p[later]]).all()
    assert (plan.baseline[later] <= prj.baseline_end[p[later]]).all()
    handover = plan.kind == 7
    assert (plan.baseline[handover] == prj.baseline_end[p[handover]]).all()
    same = p[1:] == p[:-1]
    assert (np.diff(plan.baseline)[same] >= 0).all() and (np.diff(plan.kind)[same] > 0).all()
    counts = np.bincount(p, minlength=prj.count)
    assert counts.min() >= 3 and counts.max() <= 8


def test_every_allocation_week_is_a_monday_and_actuals_stop_at_the_month_end(portfolio):
    work = portfolio.work
    assert ((work.week_day - 4) % 7 == 0).all()  # 1970-01-05, day 4, was a Monday
    T = month_number("2025-03")
    state = month_end_state(portfolio.seed, T, portfolio.projects, portfolio.schedule, portfolio.baseline,
                            portfolio.spend)
    rows = allocation_rows(work, portfolio.staff, portfolio.projects, state)
    weeks = rows["week"].to_pylist()
    assert weeks and {w.weekday() for w in weeks} == {0}
    as_of = dt.date(1970, 1, 1) + dt.timedelta(days=int(month_end(T)))
    assert min(weeks) >= as_of - dt.timedelta(days=91) and max(weeks) <= as_of + dt.timedelta(days=91)
    actual = rows["actual_hours"].to_pylist()
    assert all((a is None) == (w + dt.timedelta(days=6) > as_of) for w, a in zip(weeks, actual))
    planned = np.array(rows["planned_hours"].to_pylist())
    assert (planned > 0).all() and (planned <= 168).all() and ((planned * 2) % 1 == 0).all()


def test_risk_probabilities_are_between_0_and_1_and_closed_dates_match_statuses(portfolio):
    register = portfolio.risks
    assert ((register.probability >= 0.1) & (register.probability <= 0.9)).all()
    assert (register.raised <= register.resolved).all()
    for T in (month_number("2023-07"), month_number("2025-06")):
        state = month_end_state(portfolio.seed, T, portfolio.projects, portfolio.schedule, portfolio.baseline,
                                portfolio.spend)
        rows = risk_rows(register, portfolio.projects, portfolio.health, portfolio.baseline.bac, portfolio.staff,
                         state)
        prob = np.array(rows["probability"].to_pylist())
        assert len(prob) and ((prob >= 0) & (prob <= 1)).all()
        assert np.allclose(prob * 20, np.round(prob * 20))  # in steps of 0.05
        assert set(rows["impact"].to_pylist()) <= {1, 2, 3, 4, 5}
        statuses = rows["status"].to_pylist()
        closed = rows["closed_date"].to_pylist()
        assert all((c is not None) == (s == "closed") for s, c in zip(statuses, closed))
        ids = rows["risk_id"].to_pylist()
        assert ids == sorted(ids)  # numbered in the order raised, listed in id order


def test_an_overloaded_team_week_piles_its_extra_hours_on_the_runs_crunch_project(portfolio):
    """In a team-week at 110-140%, each person with hours is planned at capacity x factor (to the half
    hour), their other projects stay within their usual plan (at most capacity), and the extra goes to
    the one crunch project of the run, so without it the team is within capacity."""
    work, staff, prj = portfolio.work, portfolio.staff, portfolio.projects
    T = month_number("2025-03")
    state = month_end_state(portfolio.seed, T, prj, portfolio.schedule, portfolio.baseline, portfolio.spend)
    rows = allocation_rows(work, staff, prj, state)
    person = np.searchsorted(np.array(staff.ids), np.array(rows["resource_id"].to_pylist()))
    project = np.searchsorted(np.array(prj.ids), np.array(rows["project_id"].to_pylist()))
    week = (np.array([(w - dt.date(1970, 1, 1)).days for w in rows["week"].to_pylist()]) - work.first_monday) // 7
    hours = np.array(rows["planned_hours"].to_pylist())
    team = staff.team[person]
    fac, crunch = work.overload[team, week], work.crunch[team, week]
    checked = 0
    for pe, wk in {(a, b) for a, b in zip(person[fac > 1].tolist(), week[fac > 1].tolist())}:
        mine = (person == pe) & (week == wk)
        on_crunch = mine & (project == crunch[mine][0])
        if not on_crunch.any():
            continue
        assert abs(hours[mine].sum() - staff.capacity[pe] * fac[mine][0]) <= 0.5
        assert hours[mine & ~on_crunch].sum() <= staff.capacity[pe]
        checked += 1
    assert checked > 20
    runs = {(t, w): c for t, w, c in zip(team[fac > 1].tolist(), week[fac > 1].tolist(), crunch[fac > 1].tolist())}
    assert all(c >= 0 for c in runs.values())
