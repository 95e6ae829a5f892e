"""The NHI-style result codes the sandbox answers with, and their zh-TW messages.

Card-service codes follow the csHis / control-software error table (shared/data/nhi-code-tables/
error.csv, reference/specs/nhi-card-error-codes.txt). IC-upload codes follow the format 2.0
check-error table (shared/data/nhi-card/ic-upload-2.0-check-error-codes.csv). The ``SBX*`` codes
are the sandbox's own, for situations the public documents give no code for (claims platform,
e-prescription, virtual card, referral); docs/nhi-sandbox.md lists them.
"""

from __future__ import annotations

__all__ = ["MESSAGES", "message_for"]

MESSAGES: dict[str, str] = {
    "0": "成功",
    # card reader / control software / IDC (error.csv)
    "5001": "就醫可用次數不足",
    "5002": "卡片已註銷",
    "5003": "卡片已過有限期限",
    "5004": "新生兒依附就醫已逾六十日",
    "5010": "同一天看診兩科（含）以上",
    "5012": "此人未在保",
    "5081": "最近二十四小時內同院所未曾就醫，故不可取消就醫",
    "5150": "卡片中無此筆就醫記錄",
    "5153": "本筆就醫記錄已經退掛過，不可重覆退掛",
    "6018": "參數錯誤",
    "9001": "送至 IDC Message Header 檢核不符",
    "9012": "IDC 無該卡片資料",
    "9013": "無效的安全模組卡",
    "9014": "IDC 對安全模組卡認證失敗",
    "9020": "IDC 驗章錯誤",
    "9083": "不在保",
    "9002": "送至 IDC 語法不符",
    "9070": "上傳資料大小不符無法接收檔案",
    "4071": "健保 IC 卡與 IDC 認證失敗",
    # IC card data upload, format 2.0 (ic-upload-2.0-check-error-codes.csv)
    "04": "安全簽章驗證不通過",
    "05": "卡片上的個人基本資料與本署資料庫不符",
    "07": "院所代碼與上傳之sam卡內之院所代號不符",
    "C001": "資料重複：鍵值資料已存在",
    "D002": "M15、M16、M52就醫識別碼驗證不通過。",
    "D003": "就醫識別碼反解之身分證號與上傳之身分證號欄位不一致。",
    "D004": "就醫識別碼反解之院所代號與上傳之院所代號欄位不一致。",
    "D005": "就醫識別碼反解之就醫日期時間與上傳之就醫日期時間欄位不一致。",
    "Y001": "上傳資料內容與定義不符",
    "Y003": "上傳內容格式檢核錯誤",
    "Y014": "非BIG5碼",
    # the sandbox's own codes (no public code exists for these situations)
    "SBX01": "查無此資料",
    "SBX02": "檔名格式不符",
    "SBX03": "檔名之醫事機構代碼與安全模組不符",
    "SBX04": "申報檔檢核不通過",
    "SBX05": "同一申報檔已上傳",
    "SBX10": "虛擬健保卡 QR code 不存在",
    "SBX11": "虛擬健保卡 QR code 已逾時（5 分鐘）",
    "SBX12": "虛擬健保卡 QR code 已使用",
    "SBX20": "此就醫識別碼已開立電子處方箋",
    "SBX30": "非轉入院所，不可接受轉診",
    "SBX31": "轉診單已接受",
    "SBX32": "轉入院所不存在",
    "SBX40": "沙盒時鐘未開放調整",
    "SBX41": "種子與既有資料不符",
}


def message_for(code: str) -> str:
    return MESSAGES.get(code, "錯誤")
